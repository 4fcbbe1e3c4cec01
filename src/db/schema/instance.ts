import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Facts about the instance itself, fixed at first start (such as its origin). */
export const instanceSettings = pgTable("instance_settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
