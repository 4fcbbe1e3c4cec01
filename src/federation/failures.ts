import { FetchError } from "@fedify/vocab-runtime";
import { EgressRefusedError } from "../egress/egress.ts";
import { DomainError } from "../shared/errors.ts";
import { KeyBindingError } from "./key-binding.ts";

/**
 * Whether handling a received activity failed for a reason that no retry can change:
 * a refusal by our own rules, an object its server says is gone or forbidden, an address we
 * never connect to, a document that cannot be read. Anything else (a network error, a 5xx,
 * a timeout, our database) may pass, so the activity is tried again later.
 */
export function isPermanentFailure(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    if (
      cause instanceof DomainError ||
      cause instanceof KeyBindingError ||
      cause instanceof EgressRefusedError
    ) {
      return true;
    }
    if (cause instanceof FetchError) {
      const status = cause.response?.status;
      return (
        status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429
      );
    }
    // undici's "fetch failed" wraps the network error that says whether to try again.
    if (cause instanceof TypeError && cause.message === "fetch failed") {
      cause = cause.cause;
      continue;
    }
    // A document that is not JSON, or JSON that is not a readable object.
    return cause instanceof SyntaxError || cause instanceof TypeError;
  }
  return false;
}
