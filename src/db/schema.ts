export * from "./schema/accounts.ts";
export * from "./schema/actors.ts";
export * from "./schema/encounters.ts";
export * from "./schema/federation-store.ts";
export * from "./schema/instance.ts";
export * from "./schema/likes.ts";
export * from "./schema/tracker.ts";
