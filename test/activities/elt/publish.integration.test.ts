// The publish activity against the test platform's real Nessie: it merges exactly the commit the audit read,
// a retry after its merge went through returns that merge instead of merging again, and a branch written to
// after its audit is refused for good with main unchanged.
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEltActivities } from '../../../activities/monthly-yellow-trips';
import { NessieClient } from '../../../clients/nessie';
import type { PublishOutcome, RunBranch } from '../../../domain/elt';
import { publishTagName, runBranchName } from '../../../domain/names';
import { endpoints, loadConfig } from '../../../lib/config';
import { LocalDriver } from '../../../platform/local/driver';

const config = loadConfig();
const nessieApi = endpoints(config).nessieApi;
const nessie = new NessieClient(nessieApi);
const activities = createEltActivities({
  endpoints: () => new LocalDriver(config).endpoints(),
  tlcBaseUrl: endpoints(config).tlcMirror,
  dbtExecutable: '/nonexistent/dbt',
  dbtProjectDir: '/nonexistent',
  auditBranchRetentionDays: 7,
  allowedSources: [],
});
/** Months no other test publishes. */
const MONTHS = ['2031-02', '2031-03'];
const made: { branches: string[]; namespaces: string[] } = { branches: [], namespaces: [] };

type PublishInput = Parameters<typeof activities.publish>[0];

function publish(input: PublishInput): Promise<PublishOutcome> {
  return new MockActivityEnvironment().run<[PublishInput], PublishOutcome, typeof activities.publish>(
    activities.publish,
    input,
  );
}

/** Commits a namespace put or delete to `ref` through Nessie's API; returns the new head. */
async function commit(ref: string, op: 'PUT' | 'DELETE', namespace: string): Promise<string> {
  const head = await nessie.getReference(ref);
  if (!head) throw new Error(`no reference ${ref}`);
  const key = { elements: [namespace] };
  const operation =
    op === 'PUT'
      ? { type: 'PUT', key, content: { type: 'NAMESPACE', elements: [namespace] } }
      : { type: 'DELETE', key };
  const response = await fetch(`${nessieApi}/trees/${ref}@${head.hash}/history/commit`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ commitMeta: { message: `test ${op} ${namespace}` }, operations: [operation] }),
  });
  if (!response.ok) throw new Error(`commit to ${ref}: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { targetBranch: { hash: string } }).targetBranch.hash;
}

async function mainHash(): Promise<string> {
  return (await nessie.getReference('main'))?.hash as string;
}

async function namespacesOn(ref: string): Promise<string[]> {
  return (await nessie.entries(ref))
    .filter((e) => e.type === 'NAMESPACE')
    .map((e) => e.name.elements.join('.'));
}

/** A run branch from main's head with one namespace written to it, as a run's Bronze stage would. */
async function runWithOneWrite(month: string): Promise<{ run: RunBranch; runId: string; namespace: string }> {
  const runId = `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-test`;
  const branch = runBranchName(month, runId, 1);
  const fromHash = await mainHash();
  await nessie.createReference(branch, 'BRANCH', { name: 'main', hash: fromHash });
  made.branches.push(branch);
  const namespace = `publish_test_${randomBytes(4).toString('hex')}`;
  made.namespaces.push(namespace);
  await commit(branch, 'PUT', namespace);
  return { run: { branch, catalog: 'unused_by_publish', fromHash }, runId, namespace };
}

afterAll(async () => {
  for (const branch of made.branches) {
    const ref = await nessie.getReference(branch);
    if (ref) await nessie.deleteReference(branch, 'BRANCH', ref.hash);
  }
  const onMain = await namespacesOn('main');
  for (const namespace of made.namespaces.filter((n) => onMain.includes(n))) {
    await commit('main', 'DELETE', namespace);
  }
  for (const month of MONTHS) {
    const tag = await nessie.getReference(publishTagName(month));
    if (tag) await nessie.deleteReference(tag.name, 'TAG', tag.hash);
  }
});

describe('publish', () => {
  test('merges the audited commit once; a retry returns the same merge and main does not move', async () => {
    const month = MONTHS[0];
    const { run, runId, namespace } = await runWithOneWrite(month);
    const audited = (await nessie.getReference(run.branch))?.hash as string;
    expect(await namespacesOn('main')).not.toContain(namespace);

    const outcome = await publish({ run, month, runId, auditedHash: audited });
    expect(outcome.status).toBe('published');
    const published = outcome as { mainHash: string; tag: string };
    expect(await mainHash()).toBe(published.mainHash);
    expect(await namespacesOn('main')).toContain(namespace);
    const [mergeCommit] = await nessie.history('main', { limit: 1 });
    expect(mergeCommit.message).toContain(runId);
    expect(mergeCommit.message).toContain(run.branch);
    expect((await nessie.getReference(publishTagName(month)))?.hash).toBe(published.mainHash);
    const commitsOnMain = (await nessie.history('main', { untilHash: run.fromHash })).length;

    // The activity timed out after Nessie merged: its retry finds the merge and does not merge again.
    const retried = await publish({ run, month, runId, auditedHash: audited });
    expect(retried).toEqual(outcome);
    expect(await mainHash()).toBe(published.mainHash);
    expect((await nessie.history('main', { untilHash: run.fromHash })).length).toBe(commitsOnMain);
  });

  test('a branch written to after its audit is refused for good, and main stays as it was', async () => {
    const month = MONTHS[1];
    const { run, runId } = await runWithOneWrite(month);
    const audited = (await nessie.getReference(run.branch))?.hash as string;
    const late = `publish_test_${randomBytes(4).toString('hex')}`;
    made.namespaces.push(late);
    const moved = await commit(run.branch, 'PUT', late);
    const before = await mainHash();

    const failure = await publish({ run, month, runId, auditedHash: audited }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('BranchMovedAfterAudit');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toContain(moved);
    expect(await mainHash()).toBe(before);
    expect(await namespacesOn('main')).not.toContain(late);
    expect(await nessie.getReference(publishTagName(month))).toBeUndefined();
  });
});
