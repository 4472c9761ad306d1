// The monthly Yellow Taxi ELT's contract: what its workflows take and return, what their queries answer, and
// what passes between its activities. Types only, shared by workflows, activities, the CLI and tests.
import type { Duration } from '@temporalio/common';

/**
 * A month's file from somewhere other than the TLC host (or mirror): a URL the worker fetches, or a file
 * `dp elt run --source <path>` uploaded to the object store first (so a worker in a pod can read it).
 */
export type MonthSource =
  | { kind: 'url'; url: string }
  | {
      kind: 'uploaded';
      /** Key in the warehouse bucket, named by the content's hash (see domain/month-source.ts). */
      key: string;
      /** The user's file name, recorded as the rows' lineage. */
      fileName: string;
      sha256: string;
      bytes: number;
    };

export interface MonthlyYellowTripsInput {
  month: string;
  /** TLC base URL; the worker's configured one when absent. */
  sourceBaseUrl?: string;
  /** Load the month from this file instead of the TLC host; sourceBaseUrl is then ignored. */
  source?: MonthSource;
  /** Checks of an unpublished month before failing (one a day by default). */
  maxWaitDays?: number;
  /** Time between two checks of an unpublished month; one day unless a test says otherwise. */
  sourceCheckInterval?: Duration;
}

export interface MonthlyYellowTripsResult {
  month: string;
  landed: LandedFile;
  audit: AuditReport;
  mainHash: string;
  tag: string;
  attempts: number;
  stageSeconds: Record<string, number>;
}

/** The month workflow's stages in the order it passes them ('waiting for source' between fetch attempts). */
export const ELT_STAGES = [
  'fetching',
  'waiting for source',
  'branching',
  'loading bronze',
  'transforming',
  'auditing',
  'publishing',
  'published',
  'audit failed',
] as const;
export type EltStage = (typeof ELT_STAGES)[number];

/** What the month's progress query answers. */
export interface EltProgress {
  month: string;
  stage: EltStage;
  detail: string;
  attempt: number;
}

export interface BackfillInput {
  from: string;
  to: string;
  /** Months running at once. */
  parallel?: number;
  sourceBaseUrl?: string;
}

export type MonthStatus = 'pending' | 'running' | 'published' | 'failed';

export interface MonthOutcome {
  month: string;
  status: MonthStatus;
  detail: string;
  attempts?: number;
}

export interface BackfillResult {
  months: MonthOutcome[];
  published: number;
  failed: number;
}

export interface ScheduledInput {
  /** How many months behind the schedule's date the processed month is (TLC publishes ~2 months late). */
  lagMonths: number;
  sourceBaseUrl?: string;
}

/** The identity of one published version of a source file. */
export interface SourceVersion {
  etag: string;
  lastModified: string;
  size: number;
}

export interface LandedFile {
  month: string;
  bucket: string;
  key: string;
  sourceFile: string;
  sourceUrl: string;
  bytes: number;
  sha256: string;
  /** Rows according to the Parquet footer. */
  rows: number;
  version: SourceVersion;
  /** True when the same source version was already landed and nothing was downloaded. */
  reused: boolean;
}

export type FetchOutcome =
  { status: 'landed'; file: LandedFile } | { status: 'not-published'; httpStatus: number };

/** A run's Nessie branch and the Trino catalog bound to it. */
export interface RunBranch {
  branch: string;
  catalog: string;
  /** The commit of main the branch was created from. */
  fromHash: string;
}

export interface BronzeLoad {
  rows: number;
  files: number;
  seconds: number;
}

export interface DbtTestFailure {
  name: string;
  failures: number;
  message: string;
}

export interface DbtOutcome {
  seconds: number;
  /** Models, seeds and tests that passed. */
  passed: number;
  /** Tests that failed (data-quality findings, for the audit). */
  failedTests: DbtTestFailure[];
}

export interface AuditCheck {
  name: string;
  passed: boolean;
  expected: string;
  actual: string;
}

export interface AuditReport {
  month: string;
  runId: string;
  catalog: string;
  passed: boolean;
  checks: AuditCheck[];
  counts: {
    bronze: number;
    silver: number;
    rejected: number;
    duplicatesRemoved: number;
    sourceFooterRows: number;
  };
  failedDbtTests: DbtTestFailure[];
  reportLocation?: string;
  auditedAt: string;
  /** The run branch's commit the checks read (its head when the audit started); publish merges this one. */
  auditedHash: string;
}

export type PublishOutcome =
  { status: 'published'; mainHash: string; tag: string } | { status: 'conflict'; message: string };
