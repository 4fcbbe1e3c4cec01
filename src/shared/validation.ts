import type { z } from "zod";
import { DomainError } from "./errors.ts";

/** Turns zod's issues into one sentence a person can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join(".");
      return path ? `${path} ${issue.message}` : issue.message;
    })
    .join("; ");
}

/** The parsed value, or a DomainError "invalid" (a 422 at the edge) saying what is wrong. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new DomainError("invalid", `${describeIssues(parsed.error)}.`);
  return parsed.data;
}
