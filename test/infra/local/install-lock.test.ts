import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withInstallLock } from '../../../infra/local/install-lock';
import { sleep } from '../../../lib/time';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dp-lock-'));

describe('withInstallLock', () => {
  test('runs the installer and releases the lock', async () => {
    const dir = tmp();
    const result = await withInstallLock(
      dir,
      () => undefined,
      async () => {
        expect(fs.readFileSync(path.join(dir, 'install.lock'), 'utf8')).toBe(String(process.pid));
        return 42;
      },
    );
    expect(result).toBe(42);
    expect(fs.existsSync(path.join(dir, 'install.lock'))).toBe(false);
  });

  test('takes over a lock whose owner is gone', async () => {
    const dir = tmp();
    const dead = spawnSync('true').pid as number; // exited by now
    fs.writeFileSync(path.join(dir, 'install.lock'), String(dead));
    await expect(
      withInstallLock(
        dir,
        () => undefined,
        async () => 'ran',
      ),
    ).resolves.toBe('ran');
  });

  test('takes over an empty lock that stays empty (its writer died before writing its pid)', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'install.lock'), '');
    await expect(
      withInstallLock(
        dir,
        () => undefined,
        async () => 'ran',
      ),
    ).resolves.toBe('ran');
  });

  test('waits for a live owner and says so', async () => {
    const dir = tmp();
    const owner = spawn('sleep', ['30']);
    fs.writeFileSync(path.join(dir, 'install.lock'), String(owner.pid));
    const lines: string[] = [];
    const order: string[] = [];
    const waiting = withInstallLock(
      dir,
      (_c, line) => lines.push(line),
      async () => {
        order.push('installed');
      },
    );
    await sleep(1500);
    expect(order).toEqual([]);
    order.push('owner done');
    fs.rmSync(path.join(dir, 'install.lock'));
    owner.kill();
    await waiting;
    expect(order).toEqual(['owner done', 'installed']);
    expect(lines.join('\n')).toMatch(new RegExp(`another dp install \\(pid ${owner.pid}\\)`));
  });

  test('gives up after the timeout with advice', async () => {
    const dir = tmp();
    const owner = spawn('sleep', ['30']);
    fs.writeFileSync(path.join(dir, 'install.lock'), String(owner.pid));
    try {
      await expect(
        withInstallLock(
          dir,
          () => undefined,
          async () => 'never',
          1500,
        ),
      ).rejects.toThrow(/Another dp install \(pid \d+\).*Wait for it/);
    } finally {
      owner.kill();
    }
  });
});
