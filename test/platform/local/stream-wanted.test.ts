// The stream job's wanted marker: what `dp stream start` keeps so that the platform watch restarts the same
// job (its DP_STREAM_* settings, interval, heap), and how starts are compared.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../lib/config';
import {
  clearWantedStream,
  effectiveCheckpointDir,
  readWantedStream,
  sameStreamSettings,
  streamEnvOverrides,
  streamJobCommand,
  streamPaths,
  writeWantedStream,
} from '../../../platform/local/flink';

const homes: string[] = [];
function tempConfig() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-stream-wanted-'));
  homes.push(home);
  return loadConfig({ DP_HOME: home });
}
afterAll(() => homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true })));

describe('streamEnvOverrides', () => {
  test('keeps only DP_STREAM_ variables, sorted by name', () => {
    expect(
      streamEnvOverrides({
        PATH: '/bin',
        DP_STREAM_TABLE: 'iot.t',
        DP_STREAMING: 'no',
        DP_STREAM_KAFKA_TOPIC: 'topic-a',
        DP_HOME: '/x',
      }),
    ).toEqual({ DP_STREAM_KAFKA_TOPIC: 'topic-a', DP_STREAM_TABLE: 'iot.t' });
    expect(Object.keys(streamEnvOverrides({ DP_STREAM_Z: '1', DP_STREAM_A: '2' }))).toEqual([
      'DP_STREAM_A',
      'DP_STREAM_Z',
    ]);
  });
});

describe('sameStreamSettings', () => {
  const base = { checkpointInterval: '3000', heap: '1g', env: { DP_STREAM_TABLE: 'iot.a' } };
  test('the same interval, heap and variables are the same job, whatever the log offset', () => {
    expect(sameStreamSettings(base, { ...base, launchedAtLogOffset: 1234 })).toBe(true);
  });
  test('another table, interval or heap is another job', () => {
    expect(sameStreamSettings(base, { ...base, env: { DP_STREAM_TABLE: 'iot.b' } })).toBe(false);
    expect(sameStreamSettings(base, { ...base, env: {} })).toBe(false);
    expect(sameStreamSettings(base, { ...base, checkpointInterval: '10000' })).toBe(false);
    expect(sameStreamSettings(base, { ...base, heap: '2g' })).toBe(false);
  });
});

describe('the wanted marker', () => {
  test('absent until written, read back as written, gone once cleared', () => {
    const config = tempConfig();
    expect(readWantedStream(config)).toBeUndefined();
    const settings = {
      checkpointInterval: '3000',
      env: { DP_STREAM_KAFKA_TOPIC: 't1', DP_STREAM_CHECKPOINT_DIR: '/tmp/chk-x' },
      launchedAtLogOffset: 42,
    };
    writeWantedStream(config, settings);
    expect(fs.existsSync(streamPaths(config).wanted)).toBe(true);
    expect(readWantedStream(config)).toEqual({
      checkpointInterval: '3000',
      env: { DP_STREAM_CHECKPOINT_DIR: '/tmp/chk-x', DP_STREAM_KAFKA_TOPIC: 't1' },
      launchedAtLogOffset: 42,
    });
    clearWantedStream(config);
    expect(readWantedStream(config)).toBeUndefined();
  });

  test('a marker that is not JSON is an error naming the file and what to do', () => {
    const config = tempConfig();
    fs.mkdirSync(path.dirname(streamPaths(config).wanted), { recursive: true });
    fs.writeFileSync(streamPaths(config).wanted, '{not json');
    expect(() => readWantedStream(config)).toThrow(/flink\.wanted\.json is not valid JSON.*dp stream stop/);
  });

  test('variables in the marker that are not DP_STREAM_ ones are dropped', () => {
    const config = tempConfig();
    fs.mkdirSync(path.dirname(streamPaths(config).wanted), { recursive: true });
    fs.writeFileSync(
      streamPaths(config).wanted,
      JSON.stringify({ env: { LD_PRELOAD: '/evil.so', DP_STREAM_TABLE: 'iot.t' } }),
    );
    expect(readWantedStream(config)?.env).toEqual({ DP_STREAM_TABLE: 'iot.t' });
  });
});

describe('the job process', () => {
  test('runs with the DP_STREAM_ variables of its start, not those of the process that launches it', () => {
    const config = tempConfig();
    const saved = process.env.DP_STREAM_TABLE;
    process.env.DP_STREAM_TABLE = 'iot.of_the_launcher';
    try {
      const command = streamJobCommand(config, {
        streamEnv: { DP_STREAM_KAFKA_TOPIC: 'topic-of-start' },
      });
      expect(command.env.DP_STREAM_KAFKA_TOPIC).toBe('topic-of-start');
      expect(command.env.DP_STREAM_TABLE).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.DP_STREAM_TABLE;
      else process.env.DP_STREAM_TABLE = saved;
    }
  });

  test("its checkpoint folder: DP_STREAM_CHECKPOINT_DIR of the start, else the platform's", () => {
    const config = tempConfig();
    expect(effectiveCheckpointDir(config, { DP_STREAM_CHECKPOINT_DIR: '/tmp/chk-y' })).toBe('/tmp/chk-y');
    expect(effectiveCheckpointDir(config, {})).toBe(streamPaths(config).checkpoints);
  });
});
