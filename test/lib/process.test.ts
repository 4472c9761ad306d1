import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAlive, isPortFree, runningPid, startDetached, stopProcess, tailFile } from '../../lib/process';
import { sleep } from '../../lib/time';

describe('background processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-proc-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function spec(marker: string, script: string) {
    return {
      name: 'sleeper',
      command: '/bin/sh',
      args: ['-c', script, marker],
      cwd: dir,
      logFile: path.join(dir, 'logs', 'sleeper.log'),
      pidFile: path.join(dir, 'run', 'sleeper.pid'),
      marker,
    };
  }

  test('a detached process is tracked by its pid file and stopped by SIGTERM', async () => {
    const s = spec(`marker-${path.basename(dir)}`, 'echo hello from $0; sleep 60; true');
    const pid = startDetached(s);
    expect(runningPid(s.pidFile)).toBe(pid);
    await sleep(300);
    expect(tailFile(s.logFile)).toMatch(/hello from marker-/);
    expect(await stopProcess(s.pidFile, 5000)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(s.pidFile)).toBe(false);
    expect(await stopProcess(s.pidFile)).toBe(false);
  });

  test('a pid file whose process is another program (reused pid) is not ours', async () => {
    const s = spec('marker-one', 'sleep 60; true');
    const pid = startDetached(s);
    // Rewrite the record as if another platform home had started it.
    fs.writeFileSync(s.pidFile, JSON.stringify({ pid, marker: 'some-other-home', startedAt: '' }));
    expect(runningPid(s.pidFile)).toBeUndefined();
    process.kill(-pid, 'SIGKILL');
  });

  test('a process that ignores SIGTERM is killed after the grace period', async () => {
    const s = spec('marker-stubborn', "trap '' TERM; while true; do sleep 0.1; done");
    const pid = startDetached(s);
    await sleep(200);
    const started = Date.now();
    await stopProcess(s.pidFile, 1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(isAlive(pid)).toBe(false);
  });

  test('a port held by a listener is reported as taken', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    expect(await isPortFree(port, '127.0.0.1')).toBe(false);
    await new Promise((resolve) => server.close(resolve));
    expect(await isPortFree(port, '127.0.0.1')).toBe(true);
  });
});
