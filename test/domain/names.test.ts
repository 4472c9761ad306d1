// Names of the per-run Nessie branch, its Trino catalog and the publish tag: valid where they are used
// (a Nessie reference, a SQL identifier), and distinct for every run and every attempt of a run.
import { validRefName } from '../../clients/nessie';
import { sqlIdentifier } from '../../clients/trino';
import {
  auditReportKey,
  isRunOf,
  parseRunBranchName,
  publishTagName,
  runBranchName,
  runCatalogName,
  runToken,
} from '../../domain/names';

// Temporal run ids are UUIDs.
const RUN_A = '0197c2a4-5b1e-7f30-9d8a-2c4e6f8a0b1c';
const RUN_B = '0197c2a4-6c2f-7f30-9d8a-2c4e6f8a0b1c';

describe('runToken', () => {
  test('keeps the first ten hex digits of the run id, lower-cased, and the attempt', () => {
    expect(runToken(RUN_A, 1)).toBe('0197c2a45b_1');
    expect(runToken(RUN_A.toUpperCase(), 2)).toBe('0197c2a45b_2');
  });

  test('a run id without hex digits still gives a usable token', () => {
    expect(runToken('---', 3)).toBe('run_3');
  });
});

describe('runBranchName', () => {
  test('names the month, the run and the attempt', () => {
    expect(runBranchName('2025-03', RUN_A, 1)).toBe('etl-yellow-trips-2025-03-0197c2a45b-1');
  });

  test('is a valid Nessie reference name, even for odd run ids', () => {
    for (const runId of [RUN_A, 'not a uuid: ../main', '', "r'1; DROP"]) {
      const name = runBranchName('2025-03', runId, 7);
      expect(validRefName(name)).toBe(name);
    }
  });

  test('differs per attempt and per run', () => {
    const names = [
      runBranchName('2025-03', RUN_A, 1),
      runBranchName('2025-03', RUN_A, 2),
      runBranchName('2025-03', RUN_B, 1),
      runBranchName('2025-04', RUN_A, 1),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  test('refuses an invalid month', () => {
    expect(() => runBranchName('2025-3', RUN_A, 1)).toThrow(/Invalid month/);
  });
});

describe('runCatalogName', () => {
  test('names the month, the run and the attempt', () => {
    expect(runCatalogName('2025-03', RUN_A, 1)).toBe('etl_2025_03_0197c2a45b_1');
  });

  test('is a valid SQL identifier, even for odd run ids', () => {
    for (const runId of [RUN_A, RUN_A.toUpperCase(), 'not a uuid: ../main', '', "r'1; DROP"]) {
      const name = runCatalogName('2025-03', runId, 12);
      expect(sqlIdentifier(name)).toBe(name);
    }
  });

  test('differs per attempt and per run', () => {
    const names = [
      runCatalogName('2025-03', RUN_A, 1),
      runCatalogName('2025-03', RUN_A, 2),
      runCatalogName('2025-03', RUN_B, 1),
      runCatalogName('2025-04', RUN_A, 1),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  test('refuses an invalid month', () => {
    expect(() => runCatalogName("2025-03'", RUN_A, 1)).toThrow(/Invalid month/);
  });
});

describe('publishTagName', () => {
  test('one tag per month, a valid Nessie reference name', () => {
    expect(publishTagName('2025-03')).toBe('yellow-trips-2025-03');
    expect(validRefName(publishTagName('2023-01'))).toBe('yellow-trips-2023-01');
    expect(() => publishTagName('March')).toThrow(/Invalid month/);
  });
});

describe('parseRunBranchName', () => {
  test('reads back the month, run token and attempt, and names the same catalog as runCatalogName', () => {
    for (const [runId, attempt] of [
      [RUN_A, 1],
      [RUN_B, 3],
      ['', 2],
    ] as const) {
      const parts = parseRunBranchName(runBranchName('2025-03', runId, attempt));
      expect(parts).toMatchObject({ month: '2025-03', attempt });
      expect(parts?.catalog).toBe(runCatalogName('2025-03', runId, attempt));
    }
  });

  test('knows which run made a branch: the same run id, not a different one', () => {
    const parts = parseRunBranchName(runBranchName('2025-03', RUN_A, 2));
    expect(parts).toBeDefined();
    expect(isRunOf(parts!, RUN_A)).toBe(true);
    expect(isRunOf(parts!, RUN_B)).toBe(false);
  });

  test('is undefined for any other branch', () => {
    for (const name of [
      'main',
      'yellow-trips-2025-03',
      'etl-yellow-trips-2025-13-0197c2a45b-1',
      'etl-yellow-trips-2025-03-0197c2a45b-0',
      'etl-yellow-trips-2025-03-0197C2A45B-1',
      'etl-yellow-trips-2025-03-0197c2a45b1-1',
      'etl-yellow-trips-2025-03-0197c2a45b-1-x',
    ]) {
      expect(parseRunBranchName(name)).toBeUndefined();
    }
  });
});

describe('auditReportKey', () => {
  test('one report per month and run under the audits prefix', () => {
    expect(auditReportKey('2025-03', RUN_A)).toBe(`audits/yellow_trips/2025-03/${RUN_A}.json`);
    expect(() => auditReportKey('2025/03', RUN_A)).toThrow(/Invalid month/);
  });
});
