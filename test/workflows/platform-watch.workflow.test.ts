// The platform watch on a real Temporal dev server (the project's own binary), with the probe and restart
// activities replaced by a scripted platform. The settings are scaled down (half-second rounds, a grace of a
// few seconds) so the real-time server runs them quickly; the decisions are the same as at 10 s and 2 min.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PlatformWatchActivities } from '../../activities/platform-watch';
import type { EnsureResult, ManagedComponent } from '../../domain/platform';
import type {
  ComponentCheck,
  ComponentCondition,
  PlatformWatchInput,
  PlatformWatchState,
} from '../../domain/platform-watch';
import { platformWatchQuery } from '../../domain/queries';
import { pollUntil } from '../../lib/time';
import { platformWatch } from '../../workflows';
import { runWithWorker, useTestEnvironment } from './env';

const env = useTestEnvironment();

const FAST: PlatformWatchInput = { probeIntervalSeconds: 0.5, failingGraceSeconds: 3 };

/** A scripted platform: each component's condition, changed by the test or by a restart. */
class FakePlatform {
  readonly conditions = new Map<ManagedComponent, ComponentCondition>();
  readonly checks: { at: number; component: ManagedComponent; condition: ComponentCondition }[] = [];
  readonly restarts: { at: number; component: ManagedComponent }[] = [];
  /** Restarts of a component that fail before one succeeds. */
  failingRestarts = new Map<ManagedComponent, number>();

  constructor(components: ManagedComponent[]) {
    for (const c of components) this.conditions.set(c, 'healthy');
  }

  activities(): PlatformWatchActivities {
    return {
      checkComponents: async (components: ManagedComponent[]): Promise<ComponentCheck[]> =>
        components.map((component) => {
          const condition = this.conditions.get(component) ?? 'healthy';
          this.checks.push({ at: Date.now(), component, condition });
          return { component, condition, detail: `scripted: ${condition}` };
        }),
      restartComponent: async (component: ManagedComponent): Promise<EnsureResult> => {
        this.restarts.push({ at: Date.now(), component });
        const failures = this.failingRestarts.get(component) ?? 0;
        if (failures > 0) {
          this.failingRestarts.set(component, failures - 1);
          throw ApplicationFailure.nonRetryable(`${component} exited during start-up`, 'StartFailed');
        }
        this.conditions.set(component, 'healthy');
        return { component, action: 'started', detail: `${component} healthy again (pid 4242)` };
      },
    };
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000) {
  const result = await pollUntil(check, { timeoutMs, intervalMs: 200 });
  if (result === undefined) throw new Error(`timed out waiting for ${what}`);
  return result;
}

/** The state of the watch's current run (after continue-as-new, the latest run of its workflow id). */
const stateOf = (handle: { workflowId: string }) =>
  env().client.workflow.getHandle(handle.workflowId).query(platformWatchQuery);

/** Runs a watch against `platform` while `body` drives and inspects it; the watch is terminated after. */
async function withWatch(
  platform: FakePlatform,
  taskQueue: string,
  input: PlatformWatchInput,
  body: (handle: WorkflowHandle<typeof platformWatch>) => Promise<void>,
): Promise<void> {
  await runWithWorker(env(), platform.activities(), taskQueue, async () => {
    const handle = await env().client.workflow.start(platformWatch, {
      taskQueue,
      workflowId: `watch-${taskQueue}`,
      args: [input],
    });
    try {
      await body(handle);
    } finally {
      await handle.terminate('test done');
    }
  });
}

describe('platformWatch', () => {
  test('a component that is down is restarted at once, and the restart is answered by the query', async () => {
    const platform = new FakePlatform(['objectstore', 'nessie', 'trino']);
    await withWatch(
      platform,
      'down',
      // A long grace: a restart well within it can only be the at-once restart of a down component.
      { ...FAST, failingGraceSeconds: 60, components: ['objectstore', 'nessie', 'trino'] },
      async (handle) => {
        await until('a healthy round', async () => (await stateOf(handle)).rounds >= 2);
        const killedAt = Date.now();
        platform.conditions.set('trino', 'down');
        const state = await until('the restart in the state', async () => {
          const s = await stateOf(handle);
          return s.restarts.length > 0 && s;
        });
        expect(platform.restarts.map((r) => r.component)).toEqual(['trino']);
        // At once: in the round that found it down, not after the grace time.
        const firstDown = platform.checks.find((c) => c.component === 'trino' && c.condition === 'down');
        expect(firstDown).toBeDefined();
        expect(platform.restarts[0].at - (firstDown?.at ?? 0)).toBeLessThan(10_000);
        expect(platform.restarts[0].at - killedAt).toBeLessThan(10_000);
        expect(state.restarts).toEqual([
          expect.objectContaining({
            component: 'trino',
            reason: 'down',
            detail: 'scripted: down',
            outcome: 'started',
            result: 'trino healthy again (pid 4242)',
          }),
        ]);
        expect(state.restarts[0].secondsToHealthy).toBeGreaterThanOrEqual(0);
        expect(Date.parse(state.restarts[0].at)).toBeGreaterThanOrEqual(killedAt - 1000);
        // The other components were not touched, and the last round shows all healthy again.
        const after = await until('a round after the restart', async () => {
          const s = await stateOf(handle);
          return s.components.every((c) => c.condition === 'healthy') && s;
        });
        expect(after.components.map((c) => c.component).sort()).toEqual(['nessie', 'objectstore', 'trino']);
        expect(after.restarting).toEqual([]);
      },
    );
  });

  test('a running component failing its health check is restarted only after the grace time', async () => {
    const platform = new FakePlatform(['nessie', 'trino']);
    await withWatch(platform, 'failing', { ...FAST, components: ['nessie', 'trino'] }, async (handle) => {
      await until('a healthy round', async () => (await stateOf(handle)).rounds >= 1);
      // Nessie fails for about a second and recovers: shorter than the grace, so it is left alone.
      platform.conditions.set('nessie', 'failing');
      const nessieFailing = () =>
        platform.checks.filter((c) => c.component === 'nessie' && c.condition === 'failing').length;
      await until('nessie seen failing twice', async () => nessieFailing() >= 2);
      platform.conditions.set('nessie', 'healthy');
      // Trino keeps failing: restarted once it has failed for the grace time, not before.
      platform.conditions.set('trino', 'failing');
      const state = await until('the trino restart', async () => {
        const s = await stateOf(handle);
        return s.restarts.length > 0 && s;
      });
      const firstFailing = platform.checks.find((c) => c.component === 'trino' && c.condition === 'failing');
      const waited = platform.restarts[0].at - (firstFailing?.at ?? Infinity);
      expect(waited).toBeGreaterThanOrEqual(3000);
      expect(waited).toBeLessThan(3000 + 2500);
      expect(platform.restarts.map((r) => r.component)).toEqual(['trino']);
      expect(state.restarts).toEqual([
        expect.objectContaining({ component: 'trino', reason: 'failing', outcome: 'started' }),
      ]);
    });
  });

  test('a restart that fails is recorded, and the next round tries again', async () => {
    const platform = new FakePlatform(['kafka']);
    platform.failingRestarts.set('kafka', 1);
    platform.conditions.set('kafka', 'down');
    await withWatch(platform, 'retry', { ...FAST, components: ['kafka'] }, async (handle) => {
      const state = await until('two restarts', async () => {
        const s = await stateOf(handle);
        return s.restarts.length >= 2 && s;
      });
      expect(state.restarts.slice(0, 2)).toEqual([
        expect.objectContaining({
          component: 'kafka',
          outcome: 'failed',
          result: 'kafka exited during start-up',
        }),
        expect.objectContaining({ component: 'kafka', outcome: 'started' }),
      ]);
      expect(state.restarts[0].secondsToHealthy).toBeUndefined();
      expect(platform.restarts).toHaveLength(2);
    });
  });

  test('continues as new every so many rounds, carrying the recent restarts (bounded)', async () => {
    const platform = new FakePlatform(['trino']);
    const input: PlatformWatchInput = { ...FAST, components: ['trino'], roundsPerRun: 3, keptRestarts: 2 };
    await withWatch(platform, 'continue', input, async (handle) => {
      const first = await handle.describe();
      // Three restarts; only the last two are kept.
      for (let i = 1; i <= 3; i++) {
        platform.conditions.set('trino', 'down');
        await until(
          `restart ${i}`,
          async () => platform.restarts.length >= i && platform.conditions.get('trino') === 'healthy',
        );
      }
      const carried: PlatformWatchState = await until('a later run that carries the restarts', async () => {
        const description = await env().client.workflow.getHandle(handle.workflowId).describe();
        if (description.runId === first.runId) return false;
        const s = await stateOf(handle);
        return s.restarts.length === 2 && s;
      });
      expect(carried.restarts.map((r) => r.component)).toEqual(['trino', 'trino']);
      expect(platform.restarts).toHaveLength(3);
      // The restarts kept are the last two, in order: both decided after the first restart ran.
      const [second, third] = carried.restarts.map((r) => Date.parse(r.at));
      expect(second).toBeGreaterThanOrEqual(platform.restarts[0].at);
      expect(third).toBeGreaterThanOrEqual(platform.restarts[1].at);
      // The round count goes on from the earlier run's (3 rounds a run).
      expect(carried.rounds).toBeGreaterThanOrEqual(3);
      expect(Date.parse(carried.watchingSince)).toBeLessThanOrEqual(first.startTime.getTime() + 1000);
    });
  });

  test('bad settings fail the watch at once with a clear error', async () => {
    const platform = new FakePlatform(['trino']);
    await runWithWorker(env(), platform.activities(), 'bad', async () => {
      const failure = await env()
        .client.workflow.execute(platformWatch, {
          taskQueue: 'bad',
          workflowId: 'watch-bad',
          args: [{ probeIntervalSeconds: 0 }],
        })
        .catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('InvalidInput');
      expect(cause.message).toMatch(/probeIntervalSeconds must be a positive number, got 0/);
    });
  });
});
