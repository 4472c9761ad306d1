// What `dp elt run` says about main after a failure (cli/elt-failure.ts): "main is unchanged" only when the
// failure type or the run's stage proves the publish never ran.
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { failureHeadline, failureTypes, mainKnownUnchanged } from '../../cli/elt-failure';

const evidence = { nessieUi: 'http://127.0.0.1:19120', runId: 'run-1' };

describe('failed runs and main', () => {
  it('reads the failure types along the cause chain', () => {
    const app = ApplicationFailure.nonRetryable('not allowed', 'SourceNotAllowed');
    const activity = new ActivityFailure(
      'activity failed',
      'fetchMonth',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      undefined,
      app,
    );
    const outer = new Error('workflow failed', { cause: activity });
    expect(failureTypes(outer)).toEqual(['SourceNotAllowed']);
    expect(failureTypes(new Error('plain'))).toEqual([]);
    expect(failureTypes('not an error')).toEqual([]);
  });

  it('knows main is unchanged for failures raised before the publish', () => {
    for (const type of [
      'InvalidInput',
      'AuditFailed',
      'SourceNotAllowed',
      'SourceNotPublished',
      'PublishConflict',
    ]) {
      expect(mainKnownUnchanged({ failureTypes: [type], stage: 'publishing' })).toBe(true);
    }
  });

  it('knows main is unchanged when the run stopped before publishing', () => {
    for (const stage of [
      'fetching',
      'waiting for source',
      'branching',
      'loading bronze',
      'transforming',
      'auditing',
      'audit failed',
    ]) {
      expect(mainKnownUnchanged({ failureTypes: [], stage })).toBe(true);
    }
  });

  it('does not claim it for a failure during or after the publish, or when nothing is known', () => {
    expect(mainKnownUnchanged({ failureTypes: [], stage: 'publishing' })).toBe(false);
    expect(mainKnownUnchanged({ failureTypes: ['TimeoutError'], stage: 'published' })).toBe(false);
    expect(mainKnownUnchanged({ failureTypes: [] })).toBe(false);
    expect(mainKnownUnchanged({ failureTypes: [], stage: '' })).toBe(false);
  });

  it('says where to look when it cannot know', () => {
    const headline = failureHeadline('2025-03', { failureTypes: [], stage: 'publishing' }, evidence);
    expect(headline).not.toMatch(/main is unchanged/);
    expect(headline).toMatch(/main may have changed/);
    expect(headline).toMatch(/Publish yellow trips 2025-03 \(run run-1\)/);
    expect(headline).toMatch(/http:\/\/127\.0\.0\.1:19120/);
    expect(failureHeadline('2025-03', { failureTypes: ['AuditFailed'] }, evidence)).toBe(
      'the ELT for 2025-03 failed; main is unchanged.',
    );
  });
});
