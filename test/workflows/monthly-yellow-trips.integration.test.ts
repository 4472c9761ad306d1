// The monthly ELT end to end on the real platform, reading months from the offline TLC mirror.
// Every Silver and Gold figure on main is checked against an independent computation over the same
// Parquet file (test/support/reference-elt.ts), never against what the pipeline printed.
import * as fs from 'node:fs';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { NessieClient } from '../../clients/nessie';
import { TrinoClient } from '../../clients/trino';
import { prepareMirror } from '../../cli/elt';
import { readPid } from '../../lib/process';
import { tlcMirrorDir } from '../../platform/local/services';
import { tripDataFile, ZONE_LOOKUP_SEED } from '../../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths } from '../../lib/config';
import { connectClient } from '../../worker/connection';
import type { MonthlyYellowTripsResult } from '../../domain/elt';
import { workflowIdForMonth } from '../../domain/names';
import { eltProgressQuery } from '../../domain/queries';
import { monthlyYellowTrips } from '../../workflows';
import { countRows, diffGold, lakehouseTables, readGold } from '../support/lakehouse-check';
import { expectMonthMatchesReference } from '../support/expect-reference';
import { computeReference, type ReferenceResult } from '../support/reference-elt';
import { writeWithPaymentType } from '../support/parquet-edit';
import { dp } from '../support/platform/dp';
import { sleep } from '../../lib/time';

const config = loadConfig();
const trino = new TrinoClient(endpoints(config).trino, { source: 'elt.test' });
const nessie = new NessieClient(endpoints(config).nessieApi);
const tables = lakehouseTables(config.catalog);
const ROWS = 20_000;
const seedOf = (month: string) => Number(month.replace('-', ''));

let client: Client;
let mirrorUrl: string;
const references = new Map<string, ReferenceResult>();

async function generate(month: string, rows = ROWS): Promise<ReferenceResult> {
  mirrorUrl = await prepareMirror(config, [month], rows, seedOf(month));
  const file = tripDataFile(tlcMirrorDir(config), month);
  const reference = await computeReference(file, month, ZONE_LOOKUP_SEED);
  references.set(month, reference);
  return reference;
}

function startMonth(month: string, extra: { workflowId?: string } = {}) {
  return client.workflow.start(monthlyYellowTrips, {
    workflowId: extra.workflowId ?? workflowIdForMonth(month),
    taskQueue: config.taskQueue,
    args: [{ month, sourceBaseUrl: mirrorUrl }],
  });
}

async function runMonth(month: string): Promise<MonthlyYellowTripsResult> {
  return (await startMonth(month)).result();
}

/** Silver and every Gold row of the month on main equal the reference computation. */
async function expectMainMatchesReference(month: string) {
  const reference = references.get(month) as ReferenceResult;
  await expectMonthMatchesReference(trino, tables, month, reference);
}

/** The messages of an error and all its causes, one per line. */
function causes(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages.join('\n');
}

async function mainHash(): Promise<string> {
  return (await nessie.getReference('main'))?.hash as string;
}

async function runBranches(): Promise<string[]> {
  const response = await fetch(`${endpoints(config).nessieApi}/trees`);
  const body = (await response.json()) as { references: { name: string; type: string }[] };
  return body.references.filter((r) => r.type === 'BRANCH' && r.name.startsWith('etl-')).map((r) => r.name);
}

beforeAll(async () => {
  client = await connectClient(config);
});

afterAll(async () => {
  await client?.connection.close();
});

describe('the monthly Yellow Taxi ELT', () => {
  test('dp elt run publishes a 2025 month to main with its tag; every Silver and Gold figure is right', async () => {
    await generate('2025-03');
    const branchesBefore = await runBranches();
    const result = dp([
      'elt',
      'run',
      '--month',
      '2025-03',
      '--mirror',
      '--rows',
      String(ROWS),
      '--seed',
      '202503',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/2025-03 published to main/);
    expect(result.stdout).toMatch(/Audit passed/);
    await expectMainMatchesReference('2025-03');

    const tag = await nessie.getReference('yellow-trips-2025-03');
    expect(tag?.type).toBe('TAG');
    expect(tag?.hash).toBe(await mainHash());
    // The run's branch and catalog are gone once published.
    expect(await runBranches()).toEqual(branchesBefore);
    const catalogs = await trino.catalogs();
    expect(catalogs.filter((c) => c.startsWith('etl_'))).toEqual([]);
  });

  test('a 2024-schema month loads beside it, and the 2025 month is untouched', async () => {
    const before = await readGold(trino, tables, '2025-03');
    await generate('2024-11');
    const result = await runMonth('2024-11');
    expect(result.audit.passed).toBe(true);
    expect(result.landed.rows).toBe(ROWS);
    await expectMainMatchesReference('2024-11');
    expect(references.get('2024-11')?.monthlySummary?.cbdCongestionFeeCents).toBeNull();
    expect(diffGold(await readGold(trino, tables, '2025-03'), before)).toEqual([]);
  });

  test('re-running a month replaces it: counts unchanged, tag moved to the new commit', async () => {
    const tagBefore = await nessie.getReference('yellow-trips-2025-03');
    const result = await runMonth('2025-03');
    expect(result.landed.reused).toBe(true); // same source version: not downloaded again
    await expectMainMatchesReference('2025-03');
    await expectMainMatchesReference('2024-11');
    const tagAfter = await nessie.getReference('yellow-trips-2025-03');
    expect(tagAfter?.hash).toBe(result.mainHash);
    expect(tagAfter?.hash).not.toBe(tagBefore?.hash);
  });

  test('a failing audit fails the run, leaves main unchanged and keeps the branch for inspection', async () => {
    // A payment code the contract does not know: dbt's accepted_values test must fail the audit.
    await generate('2025-07');
    const file = tripDataFile(tlcMirrorDir(config), '2025-07');
    await writeWithPaymentType(file, file, [0, 1, 2], 9);
    const before = await mainHash();
    const failure = await runMonth('2025-07').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = causes(failure);
    expect(message).toMatch(/Audit of 2025-07 failed; main is unchanged/);
    expect(message).toMatch(/dbt tests pass/);
    expect(await mainHash()).toBe(before);
    expect(await countRows(trino, tables.bronze, '2025-07')).toBe(0);
    expect(await nessie.getReference('yellow-trips-2025-07')).toBeUndefined();
    const kept = await runBranches();
    expect(kept.some((b) => b.startsWith('etl-yellow-trips-2025-07-'))).toBe(true);
  });

  test('a truncated source file fails with a clear error and publishes nothing', async () => {
    await generate('2025-06', 5_000);
    const file = tripDataFile(tlcMirrorDir(config), '2025-06');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size * 0.6));
    const before = await mainHash();
    const viaMirror = await runMonth('2025-06').catch((err: unknown) => err);
    expect(viaMirror).toBeInstanceOf(WorkflowFailedError);
    expect(causes(viaMirror)).toMatch(/yellow_tripdata_2025-06\.parquet is not a valid Parquet file/);
    expect(await mainHash()).toBe(before);
    expect(await countRows(trino, tables.bronze, '2025-06')).toBe(0);
  });

  test('killing the worker mid-run: after a restart the run completes with the right counts', async () => {
    await generate('2025-01', 60_000);
    const handle = await startMonth('2025-01');
    for (let i = 0; i < 600; i++) {
      const progress = await handle.query(eltProgressQuery).catch(() => ({ stage: '' }));
      if (progress.stage === 'loading bronze' || progress.stage === 'transforming') break;
      await sleep(200);
    }
    const worker = readPid(paths(config).pid('worker'))?.pid as number;
    process.kill(worker, 'SIGKILL');
    const up = dp(['up']);
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(/\[worker\] started/);
    const result = (await handle.result()) as MonthlyYellowTripsResult;
    expect(result.audit.passed).toBe(true);
    await expectMainMatchesReference('2025-01');
  });

  test('two months started together both publish correctly', async () => {
    await generate('2025-04');
    await generate('2025-05');
    const [april, may] = await Promise.all([startMonth('2025-04'), startMonth('2025-05')]);
    const results = (await Promise.all([april.result(), may.result()])) as MonthlyYellowTripsResult[];
    for (const r of results) expect(r.audit.passed).toBe(true);
    process.stderr.write(
      `[elt.test] concurrent months: attempts ${results.map((r) => r.attempts).join(', ')}\n`,
    );
    for (const month of ['2025-04', '2025-05', '2025-03', '2024-11', '2025-01']) {
      await expectMainMatchesReference(month);
    }
  });

  test('dp elt backfill runs a range of months and reports each one', async () => {
    // Both months are already published: the backfill re-runs them (replacing, never duplicating).
    const result = dp([
      'elt',
      'backfill',
      '--from',
      '2025-04',
      '--to',
      '2025-05',
      '--parallel',
      '2',
      '--mirror',
      '--rows',
      String(ROWS),
      '--seed',
      '202504',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/2 published, 0 failed/);
    // Same rows and seeds as above (seed + index), so the mirror serves the same files.
    await expectMainMatchesReference('2025-04');
    await expectMainMatchesReference('2025-05');
  });

  test('dp schedule create, status, pause', () => {
    expect(dp(['schedule', 'create']).code).toBe(0);
    const status = JSON.parse(dp(['schedule', 'status']).stdout) as {
      paused: boolean;
      nextActionTimes: string[];
    };
    expect(status.paused).toBe(false);
    expect(new Date(status.nextActionTimes[0]).getUTCDate()).toBe(1);
    expect(dp(['schedule', 'pause']).code).toBe(0);
    expect((JSON.parse(dp(['schedule', 'status']).stdout) as { paused: boolean }).paused).toBe(true);
    expect(dp(['schedule', 'delete']).code).toBe(0);
  });
});
