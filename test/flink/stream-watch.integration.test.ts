// The platform watch and the stream job on the real test platform: a job started with `dp stream start` and
// killed with SIGKILL comes back without a user command, as the same job (the DP_STREAM_* settings of its
// start, restoring its own checkpoints); a second start with those settings adopts it, one with other settings
// is refused; after `dp stream stop` the watch leaves it stopped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createAdmin } from '../../clients/kafka/client';
import { ensureTopics, SENSOR_TOPIC } from '../../clients/kafka/topics';
import type { WatchRestart } from '../../domain/platform-watch';
import { endpoints, loadConfig, paths } from '../../lib/config';
import { readPid, runningPid } from '../../lib/process';
import { pollUntil, sleep } from '../../lib/time';
import { latestCheckpoint } from '../../platform/local/flink';
import { dp } from '../support/platform/dp';

const config = loadConfig();
const suffix = `wt${Date.now()}`;
const TOPIC = `sensor-${suffix}`;
const DLQ = `sensor-${suffix}-dlq`;
const TABLE = `iot.sensor_${suffix}`;
const checkpointDir = path.join(paths(config).data('flink'), `checkpoints-${suffix}`);
const jobEnv = {
  DP_STREAM_KAFKA_TOPIC: TOPIC,
  DP_STREAM_KAFKA_DLQ_TOPIC: DLQ,
  DP_STREAM_KAFKA_GROUP_ID: `dp-${suffix}`,
  DP_STREAM_TABLE: TABLE,
  DP_STREAM_CHECKPOINT_DIR: checkpointDir,
};
const connection = () => ({ bootstrap: endpoints(config).kafka, clientId: 'dp-test-stream-watch' });
const pidFile = () => paths(config).pid('flink');
const start = (env: Record<string, string>) => dp(['stream', 'start', '--checkpoint-interval', '3000'], env);

/** The environment the process runs with, read from /proc (not from anything dp wrote). */
function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(
    fs
      .readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

describe('the platform watch restarts the wanted stream job', () => {
  beforeAll(async () => {
    await ensureTopics(connection(), [
      { ...SENSOR_TOPIC, name: TOPIC },
      { ...SENSOR_TOPIC, name: DLQ, partitions: 1 },
    ]);
  });

  afterAll(async () => {
    dp(['stream', 'stop']);
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    dp(['query', `drop table if exists ${config.catalog}.${TABLE}`]);
    const admin = createAdmin(connection());
    await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
    await admin.close();
  });

  test(
    'a killed job comes back with the settings of its start; the same start adopts it; after dp stream stop it stays stopped',
    async () => {
      const first = start(jobEnv);
      expect({ code: first.code, out: first.stdout + first.stderr }).toMatchObject({
        code: 0,
        out: expect.stringMatching(/job RUNNING/),
      });
      const killed = runningPid(pidFile());
      expect(killed).toBeDefined();
      const since = Date.now();
      await pollUntil(() => (latestCheckpoint(checkpointDir)?.at.getTime() ?? 0) > since, {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
      expect(latestCheckpoint(checkpointDir)).toBeDefined();

      // SIGKILL, and no user command: the watch probes every 10 s and starts it again.
      const logStart = fs.statSync(paths(config).log('flink')).size;
      const killedAt = Date.now();
      process.kill(killed as number, 'SIGKILL');
      const restarted = await pollUntil(
        () => {
          const pid = runningPid(pidFile());
          return pid !== undefined && pid !== killed ? pid : undefined;
        },
        { timeoutMs: 3 * 60_000, intervalMs: 500 },
      );
      expect(restarted).toBeDefined();
      const env = environOf(restarted as number);
      for (const [name, value] of Object.entries(jobEnv))
        expect({ name, value: env[name] }).toEqual({ name, value });
      // It restored this job's own checkpoints.
      await pollUntil(
        () =>
          /restoring from the latest checkpoint/.test(
            fs.readFileSync(paths(config).log('flink'), 'utf8').slice(logStart),
          ),
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      expect(fs.readFileSync(paths(config).log('flink'), 'utf8').slice(logStart)).toMatch(
        new RegExp(`restoring from the latest checkpoint \\S*checkpoints-${suffix}/`),
      );

      // The same start again adopts the running job (the watch's), once it is RUNNING.
      const again = start(jobEnv);
      expect({ code: again.code, out: again.stdout + again.stderr }).toMatchObject({
        code: 0,
        out: expect.stringMatching(/already running with these settings[\s\S]*job RUNNING/),
      });
      expect(readPid(pidFile())?.pid).toBe(restarted);
      // Another table while it runs: refused, naming what to do.
      const other = start({ ...jobEnv, DP_STREAM_TABLE: `${TABLE}_other` });
      expect(other.code).not.toBe(0);
      expect(other.stderr).toMatch(/already runs .* with other settings.*dp stream stop/s);

      // The restart is in dp status, after the kill, started by the watch.
      const restarts = await pollUntil(
        () => {
          const status = JSON.parse(dp(['status', '--json']).stdout) as {
            watch?: { restarts: WatchRestart[] };
          };
          const found = (status.watch?.restarts ?? []).filter(
            (r) => r.component === 'flink' && Date.parse(r.at) >= killedAt - 1000,
          );
          return found.length > 0 ? found : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 3000 },
      );
      expect(restarts?.map((r) => [r.reason, r.outcome])).toContainEqual(['down', 'started']);

      // Stopped by the user: no longer wanted, and the watch leaves it so through a few probe rounds.
      expect(dp(['stream', 'stop']).code).toBe(0);
      expect(runningPid(pidFile())).toBeUndefined();
      await sleep(25_000);
      expect(runningPid(pidFile())).toBeUndefined();
      const status = JSON.parse(dp(['stream', 'status', '--json']).stdout) as {
        running: boolean;
        wanted: boolean;
      };
      expect(status).toMatchObject({ running: false, wanted: false });
    },
    10 * 60_000,
  );
});
