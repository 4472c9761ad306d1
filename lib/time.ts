// Waiting outside workflows (workflows use Temporal's own sleep, which is part of their history).

/** Resolves after `ms`, or at once when `signal` aborts (a stopping loop should not wait out its pause). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
