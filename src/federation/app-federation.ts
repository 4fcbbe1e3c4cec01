import type { Federation } from "@fedify/fedify";

/** The instance's Fedify federation (built by federation.ts); a type of its own so dispatchers can name it without importing their builder. */
export type AppFederation = Federation<void>;
