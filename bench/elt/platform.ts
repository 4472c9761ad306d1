// The platform around the run: `dp up`, the mirror seeded from the benchmark's cache, open workflows.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { MonthlyYellowTripsInput } from '../../domain/elt';
import { monthlyYellowTrips } from '../../workflows';
import { REPO_ROOT, type PlatformConfig } from '../../lib/config';
import { tlcMirrorDir } from '../../platform/local/services';
import { readManifest, tripDataFile, manifestFile } from '../../infra/local/tlc-mirror';
import { benchMirrorDir, MONTH, ROWS, SEED } from '../elt-bronze';
import { WORKFLOW_ID } from './report';

/** `dp up`: installs/starts what is missing and replaces the worker when its sources changed. */
export function dpUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its output goes to our stderr: stdout is reserved for the figures and the JSON line.
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), 'up'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 2, 2],
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`dp up exited with ${code}`))));
  });
}

/**
 * The mirror month, with the parameters prepareMirror asks for. The benchmark cache (bench/elt-bronze.ts)
 * holds the same month generated with the same parameters and generator version (the generator is
 * deterministic), so it is copied into the mirror when the mirror lacks it, instead of generating it again.
 */
export async function seedMirrorFromBenchCache(config: PlatformConfig): Promise<boolean> {
  const dir = tlcMirrorDir(config);
  const cacheDir = benchMirrorDir(config.cacheDir);
  const [mirror, cached] = await Promise.all([readManifest(dir, MONTH), readManifest(cacheDir, MONTH)]);
  const wanted = (m: typeof mirror) => m !== undefined && m.rows === ROWS && m.seed === SEED;
  if (wanted(mirror) || !wanted(cached) || cached === undefined) return false;
  const source = tripDataFile(cacheDir, MONTH);
  if (fs.statSync(source, { throwIfNoEntry: false })?.size !== cached.bytes) return false;
  const target = tripDataFile(dir, MONTH);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.tmp-${process.pid}-bench`;
  try {
    fs.copyFileSync(source, temporary);
    fs.rmSync(manifestFile(dir, MONTH), { force: true });
    fs.renameSync(temporary, target);
    fs.writeFileSync(
      `${manifestFile(dir, MONTH)}.tmp-${process.pid}`,
      `${JSON.stringify(cached, null, 2)}\n`,
    );
    fs.renameSync(`${manifestFile(dir, MONTH)}.tmp-${process.pid}`, manifestFile(dir, MONTH));
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return true;
}

export async function openWorkflows(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    ids.push(`${wf.type}:${wf.workflowId}`);
  }
  return ids;
}

/**
 * Fails fast when a run with one of these workflow ids is open (one open run per month: it would not be ours to
 * time); returns the other open workflows.
 */
export async function checkNotRunning(client: Client, workflowIds: readonly string[]): Promise<string[]> {
  const open = await openWorkflows(client);
  const clashing = open.filter((id) => workflowIds.includes(id.slice(id.indexOf(':') + 1)));
  if (clashing.length > 0) {
    throw new Error(
      `open runs the benchmark would start again: ${clashing.join(', ')}; wait for them (or cancel them) and ` +
        'run the benchmark again',
    );
  }
  return open;
}

/** Fails fast when a run of the benchmark's month is open. */
export function checkMonthNotRunning(client: Client): Promise<string[]> {
  return checkNotRunning(client, [WORKFLOW_ID]);
}

/** Starts the benchmark's month by the product's workflow; refuses to join a run someone else started. */
export async function startBenchMonth(client: Client, config: PlatformConfig, sourceBaseUrl: string) {
  const input: MonthlyYellowTripsInput = { month: MONTH, sourceBaseUrl };
  return client.workflow
    .start(monthlyYellowTrips, {
      workflowId: WORKFLOW_ID,
      taskQueue: config.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
    })
    .catch((err: unknown) => {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new Error(
          `a run of ${WORKFLOW_ID} was started by someone else meanwhile; run the benchmark again`,
        );
      }
      throw err;
    });
}
