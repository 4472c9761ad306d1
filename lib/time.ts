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

export interface PollOptions {
  /** How long to keep checking, from the first check. */
  timeoutMs: number;
  /** The pause between two checks. */
  intervalMs: number;
  /** Called before each pause with the time waited so far (progress lines). */
  onWait?: (waitedMs: number) => void;
  /** Injected by tests that run on a fake clock. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Calls `check` until it returns something other than undefined or false, and returns that; returns
 * undefined once `timeoutMs` passed without it, so the caller says what did not happen. `check` throws to
 * give up early.
 */
export async function pollUntil<T>(
  check: () => T | false | undefined | Promise<T | false | undefined>,
  options: PollOptions,
): Promise<T | undefined> {
  const now = options.now ?? Date.now;
  const pause = options.sleep ?? sleep;
  const started = now();
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    const waited = now() - started;
    if (waited >= options.timeoutMs) return undefined;
    options.onWait?.(waited);
    await pause(options.intervalMs);
  }
}
