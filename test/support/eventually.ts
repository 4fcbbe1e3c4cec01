/**
 * Polls `check` until it returns a value other than undefined/false, or fails
 * with the last error after `timeoutMs`. Federation is asynchronous (queued
 * deliveries), so tests wait for outcomes instead of sleeping.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(
    `timed out waiting for ${options.what ?? "a condition"}${lastError ? `: ${String(lastError)}` : ""}`,
  );
}
