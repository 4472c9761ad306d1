// What `dp elt run` can truthfully say about main after a failed run: "main is unchanged" only when the run
// provably stopped before its publish (by the failure's type, or by the stage it had reached); otherwise
// the publish may have merged before the failure, and the user is pointed at what tells.

/** Failure types (ApplicationFailure.type) raised only before anything is merged into main. */
export const FAILED_BEFORE_PUBLISH = new Set([
  'InvalidInput',
  'InvalidSourceFile',
  'MonthSourceError',
  'SourceNotAllowed',
  'SourceNotPublished',
  'AuditFailed',
  // Nessie refused every merge: main never took this run's commit.
  'PublishConflict',
]);

/** Stages (EltStage) after which main may have changed. */
const PUBLISH_STAGES = new Set(['publishing', 'published']);

export interface FailureFacts {
  /** The ApplicationFailure types along the failure's cause chain, outermost first. */
  failureTypes: string[];
  /** The run's last stage (its PipelineStage search attribute), when known. */
  stage?: string;
}

/** The types of every failure in the chain (WorkflowFailedError -> ActivityFailure -> ApplicationFailure). */
export function failureTypes(err: unknown): string[] {
  const types: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && type !== '') types.push(type);
  }
  return types;
}

/** Whether main is known to be unchanged by the failed run. */
export function mainKnownUnchanged(facts: FailureFacts): boolean {
  if (facts.failureTypes.some((t) => FAILED_BEFORE_PUBLISH.has(t))) return true;
  return facts.stage !== undefined && facts.stage !== '' && !PUBLISH_STAGES.has(facts.stage);
}

/** Where the user can see whether the run published: main's commit log in Nessie, and the run's id. */
export interface PublishEvidence {
  nessieUi: string;
  runId?: string;
}

/** What `dp elt run` prints first for a failed month. */
export function failureHeadline(month: string, facts: FailureFacts, evidence: PublishEvidence): string {
  if (mainKnownUnchanged(facts)) return `the ELT for ${month} failed; main is unchanged.`;
  const at = facts.stage ? ` in stage '${facts.stage}'` : '';
  const commit = `Publish yellow trips ${month}${evidence.runId ? ` (run ${evidence.runId})` : ''}`;
  return (
    `the ELT for ${month} failed${at}, possibly after its publish: main may have changed. Its commit log ` +
    `(Nessie UI ${evidence.nessieUi}, branch main) shows a commit "${commit}" if the run published; the ` +
    "run's history in the Temporal UI shows where it failed."
  );
}
