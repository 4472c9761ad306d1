// The exploration notebook run headless (`dp notebook --execute`, papermill) against the real platform,
// after a mirror month is published and a short sensor stream has written windows: every cell runs without
// an error, the month's figures in its output are the independently computed ones, and each chart is a
// real PNG image.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrinoClient } from '../../clients/trino';
import { endpoints, loadConfig } from '../../lib/config';
import { loadMirroredMonth } from '../support/platform/mirrored-month';
import { dp, dpAsync } from '../support/platform/dp';
import { pollUntil } from '../../lib/time';

const config = loadConfig();
const trino = new TrinoClient(endpoints(config).trino, { source: 'notebook.test' });
// A month no other test file loads.
const MONTH = '2025-10';
const CHARTS = [
  'monthly_summary',
  'daily_trend',
  'boroughs_zones',
  'payment_mix',
  'time_travel',
  'sensor_windows',
];

interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: {
    output_type: string;
    ename?: string;
    evalue?: string;
    text?: string | string[];
    data?: Record<string, unknown>;
  }[];
}

const joined = (text: string | string[] | undefined) => (Array.isArray(text) ? text.join('') : (text ?? ''));

/** Width and height from a PNG's IHDR chunk; throws when the file is not a PNG. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = fs.readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`${file} is not a PNG image`);
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function sensorWindowCount(): Promise<number> {
  try {
    const rows = await trino.queryObjects('SELECT count(*) AS n FROM lakehouse.iot.sensor_temperature_1m');
    return Number(rows[0].n);
  } catch (err) {
    if (/does not exist|not found/i.test(String(err))) return 0;
    throw err;
  }
}

describe('the exploration notebook', () => {
  const output = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-notebook-'));

  afterAll(() => {
    // Leave the platform as the other tests expect it: no stream job running.
    dp(['stream', 'stop']);
    fs.rmSync(output, { recursive: true, force: true });
  });

  test(
    'runs headless over a published month and a short sensor stream; every chart is saved as PNG',
    async () => {
      // A short stream: 80 s of readings close at least one 1-minute window (5 s out-of-orderness); the job
      // commits them on its next checkpoint. The month loads meanwhile.
      const start = dp(['stream', 'start', '--checkpoint-interval', '5000']);
      if (start.code !== 0) throw new Error(`dp stream start failed:\n${start.stdout}\n${start.stderr}`);
      const producing = dpAsync([
        'sensors',
        'produce',
        '--sensors',
        '12',
        '--rate',
        '24/s',
        '--duration',
        '80s',
        '--seed',
        '7',
      ]);
      const reference = await loadMirroredMonth(MONTH, '20000', '202510');
      const produce = await producing;
      if (produce.code !== 0)
        throw new Error(`dp sensors produce failed:\n${produce.stdout}\n${produce.stderr}`);
      const windows = await pollUntil(async () => (await sensorWindowCount()) || undefined, {
        timeoutMs: 90_000,
        intervalMs: 2000,
      });
      expect(windows ?? 0).toBeGreaterThan(0);

      const result = dp(['notebook', '--execute', '--output', output, '--month', MONTH]);
      const executed = path.join(output, 'explore.ipynb');
      expect(fs.existsSync(executed)).toBe(true);
      const cells = (JSON.parse(fs.readFileSync(executed, 'utf8')) as { cells: NotebookCell[] }).cells;
      const errors = cells
        .flatMap((c) => c.outputs ?? [])
        .filter((o) => o.output_type === 'error')
        .map((o) => `${o.ename}: ${o.evalue}`);
      expect(errors).toEqual([]);
      if (result.code !== 0)
        throw new Error(`dp notebook --execute failed:\n${result.stdout}\n${result.stderr}`);

      // The month it explored, and its trips (Silver rows of the reference computation) in the summary table.
      const text = cells
        .flatMap((c) => c.outputs ?? [])
        .map((o) => joined(o.text) + joined(o.data?.['text/plain'] as string | string[] | undefined))
        .join('\n');
      expect(text).toContain(`exploring ${MONTH}`);
      expect(text).toMatch(new RegExp(`${MONTH}\\s+${reference.silverRows}\\b`));
      expect(text).toMatch(/tag yellow-trips-\d{4}-\d{2} -> commit [0-9a-f]{12}/);

      for (const chart of CHARTS) {
        const file = path.join(output, `${chart}.png`);
        expect({ chart, exists: fs.existsSync(file) }).toEqual({ chart, exists: true });
        const size = pngSize(file);
        expect(size.width).toBeGreaterThan(400);
        expect(size.height).toBeGreaterThan(250);
        // A chart with axes, bars or lines and labels, not an empty canvas.
        expect(fs.statSync(file).size).toBeGreaterThan(15_000);
      }
      expect(result.stdout).toMatch(new RegExp(`Charts \\(${CHARTS.length}\\)`));
    },
    20 * 60_000,
  ); // the first `dp stream start` of a run builds the Flink jar with Maven: minutes

  test('a month that is not in Gold fails the run, naming the month', () => {
    const result = dp(['notebook', '--execute', '--output', output, '--month', '2023-02']);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/2023-02 is not in Gold/);
  });
});
