/**
 * Whether `work` settled (resolved or failed, the failure logged) before `deadline`;
 * false once the deadline passed, `work` left running.
 */
export async function settlesBy(
  deadline: number,
  work: Promise<unknown>,
  onError: (error: unknown) => void,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  const settled = work.then(
    () => true,
    (error: unknown) => {
      onError(error);
      return true;
    },
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
