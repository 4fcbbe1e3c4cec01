/**
 * An error a person can fix, raised by the domain and turned into a 4xx by
 * whichever layer called it (HTTP route, inbox listener, CLI).
 */
export type DomainErrorCode = "invalid" | "not_found" | "conflict" | "forbidden" | "unauthorized";

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  /** The input field the error is about, when one is: a form shows the error next to it. */
  readonly field: string | undefined;

  constructor(code: DomainErrorCode, message: string, options: { field?: string } = {}) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.field = options.field;
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

/** An error and its `cause`s, outermost first, to find what the driver or the OS said. */
export function errorChain<T extends object>(error: unknown): T[] {
  const chain: T[] = [];
  for (let e = error; e && typeof e === "object" && chain.length < 10; ) {
    chain.push(e as T);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}
