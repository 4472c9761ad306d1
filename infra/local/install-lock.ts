// One installer at a time per cache: two `dp up` or `dp install` runs (two checkouts, a test run beside a
// user's platform) would otherwise build into the same folders at once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '../../lib/process';
import type { Reporter } from '../../lib/progress';
import { sleep } from '../../lib/time';

export interface LockOptions {
  /** What the holder is doing, for the waiting line, e.g. 'installing into ~/.cache/dp'. */
  doing: string;
  report: Reporter;
  timeoutMs?: number;
  /** The pause between two attempts. */
  retryMs?: number;
  /** Who holds such a lock, for the messages; 'dp install' unless set. */
  holder?: string;
}

/** The pid in a lock file; NaN while it is being written; undefined once it is gone. */
function lockOwner(lock: string): number | undefined {
  try {
    return Number(fs.readFileSync(lock, 'utf8').trim() || 'NaN');
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` holding the lock file `lock` (created exclusively, holding the owner's pid). A lock whose owner
 * is gone is taken over; a live owner is waited for, with a line every 15 s, up to `timeoutMs`.
 */
export async function withLockFile<T>(lock: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60 * 60 * 1000;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const holder = options.holder ?? 'dp install';
  const started = Date.now();
  let lastReport = 0;
  for (;;) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = lockOwner(lock);
    if (owner === undefined) continue; // released meanwhile
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      // Left by an installer that died (or still being written: then the owner's pid appears within a moment).
      await sleep(200);
      const again = lockOwner(lock);
      if (again !== undefined && (!Number.isInteger(again) || again <= 0 || !isAlive(again))) {
        fs.rmSync(lock, { force: true });
      }
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `Another ${holder} (pid ${owner}) has held ${lock} for over ${Math.round(timeoutMs / 60000)} min. ` +
          'Wait for it, or stop it and run the command again.',
      );
    }
    if (Date.now() - lastReport >= 15_000) {
      lastReport = Date.now();
      options.report('install', `another ${holder} (pid ${owner}) is ${options.doing}: waiting for it`);
    }
    await sleep(options.retryMs ?? 1000);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Runs `fn` holding `<cacheDir>/install.lock`: the whole installation into that cache. */
export function withInstallLock<T>(
  cacheDir: string,
  report: Reporter,
  fn: () => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  return withLockFile(
    path.join(cacheDir, 'install.lock'),
    { doing: `installing into ${cacheDir}`, report, timeoutMs },
    fn,
  );
}
