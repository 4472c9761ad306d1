// One installer at a time per cache: two `dp up` or `dp install` runs (two checkouts, a test run beside a
// user's platform) would otherwise build into the same folders at once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Reporter } from '../../lib/progress';
import { sleep } from '../../lib/time';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding `<cacheDir>/install.lock` (created exclusively, holding the owner's pid). A lock whose owner
 * is gone is taken over; a live owner is waited for, with a line every 15 s, up to `timeoutMs`.
 */
export async function withInstallLock<T>(
  cacheDir: string,
  report: Reporter,
  fn: () => Promise<T>,
  timeoutMs = 60 * 60 * 1000,
): Promise<T> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const lock = path.join(cacheDir, 'install.lock');
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
    const owner = Number(fs.readFileSync(lock, 'utf8').trim() || 'NaN');
    if (!Number.isInteger(owner) || !alive(owner)) {
      // Left by an installer that died (or still being written: then the owner's pid appears within a moment).
      await sleep(200);
      const again = Number(fs.readFileSync(lock, { encoding: 'utf8', flag: 'a+' }).trim() || 'NaN');
      if (!Number.isInteger(again) || !alive(again)) fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `Another dp install (pid ${owner}) has held ${lock} for over ${Math.round(timeoutMs / 60000)} min. ` +
          'Wait for it, or stop it and run the command again.',
      );
    }
    if (Date.now() - lastReport >= 15_000) {
      lastReport = Date.now();
      report('install', `another dp install (pid ${owner}) is installing into ${cacheDir}: waiting for it`);
    }
    await sleep(1000);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
