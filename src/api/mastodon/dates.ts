/** ISO 8601 with milliseconds, in UTC: how Mastodon writes every date-time. */
export const mastodonDate = (date: Date): string => date.toISOString();

/** A day (`YYYY-MM-DD`), as Mastodon writes `last_status_at`. */
export const mastodonDay = (date: Date): string => date.toISOString().slice(0, 10);
