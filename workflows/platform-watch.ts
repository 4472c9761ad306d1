// The platform watch: a long-running workflow that probes every managed component on a timer and restarts
// a dead one through the driver, so a component that dies during a run comes back without a user command.
// A component that is down (process gone, port refused) is restarted at once; one that runs but fails its
// health check only after it has failed for the grace time (a JVM under load can be slow to answer).
// Each restart is recorded in the state the query answers; the run continues as new every so many rounds,
// carrying the recent restarts, so its history stays small.
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { PlatformWatchActivities } from '../activities/platform-watch';
import {
  componentsToRestart,
  trackFailing,
  watchSettings,
  type PlatformWatchInput,
  type PlatformWatchState,
  type RestartReason,
  type WatchedComponent,
} from '../domain/platform-watch';
import { platformWatchQuery } from '../domain/queries';

const { checkComponents } = proxyActivities<PlatformWatchActivities>({
  // Each probe answers within a few seconds (its own deadline); a stuck one is given up and the round skipped.
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
});

const { restartComponent } = proxyActivities<PlatformWatchActivities>({
  // Up to the component's start-up timeout (Trino's is 4 minutes), plus waiting for another start of it.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Bad settings fail the run at once (a plain error would only fail, and retry, the workflow task). */
function validSettings(input: PlatformWatchInput) {
  try {
    return watchSettings(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidInput');
  }
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export async function platformWatch(input: PlatformWatchInput = {}): Promise<void> {
  const settings = validSettings(input);
  const state: PlatformWatchState = {
    watchingSince: input.watchingSince ?? isoTime(Date.now()),
    rounds: input.rounds ?? 0,
    components: [],
    restarting: [],
    restarts: [...(input.restarts ?? [])].slice(-settings.keptRestarts),
  };
  setHandler(platformWatchQuery, () => state);
  let failingSince = { ...(input.failingSince ?? {}) };
  // A restart runs beside the probe rounds: the other components stay watched while Trino takes a minute.
  const inFlight = new Map<WatchedComponent, Promise<void>>();

  const restart = async (component: WatchedComponent, reason: RestartReason, detail: string) => {
    const decided = Date.now();
    state.restarting.push(component);
    try {
      const result = await restartComponent(component);
      state.restarts.push({
        component,
        reason,
        detail,
        at: isoTime(decided),
        outcome: result.action,
        secondsToHealthy: Math.round((Date.now() - decided) / 1000),
        result: result.detail,
      });
    } catch (err) {
      // The watch itself never fails: the next round finds the component down again and tries again.
      const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
      state.restarts.push({
        component,
        reason,
        detail,
        at: isoTime(decided),
        outcome: 'failed',
        result: (cause as Error).message,
      });
    } finally {
      state.restarting = state.restarting.filter((c) => c !== component);
      delete failingSince[component];
      state.restarts = state.restarts.slice(-settings.keptRestarts);
    }
  };

  for (let round = 0; round < settings.roundsPerRun; round++) {
    const watched = settings.components.filter((c) => !inFlight.has(c));
    if (watched.length > 0) {
      try {
        const checks = await checkComponents(watched);
        const now = Date.now();
        failingSince = {
          ...pickRestarting(failingSince, inFlight),
          ...trackFailing(checks, failingSince, now),
        };
        // Components being restarted were not probed: their last check stays until the next round's.
        state.components = settings.components.flatMap((c) =>
          [...checks, ...state.components].filter((check) => check.component === c).slice(0, 1),
        );
        state.lastRoundAt = isoTime(now);
        for (const { component, reason, detail } of componentsToRestart(
          checks,
          failingSince,
          now,
          settings.failingGraceSeconds,
        )) {
          inFlight.set(
            component,
            restart(component, reason, detail).finally(() => inFlight.delete(component)),
          );
        }
      } catch (err) {
        // A probe round that could not run (the worker busy or restarting) is skipped; the next one comes.
        if (!(err instanceof ActivityFailure)) throw err;
      }
    }
    state.rounds++;
    if (workflowInfo().continueAsNewSuggested) break;
    await sleep(settings.probeIntervalSeconds * 1000);
  }

  // Restarts under way finish in this run, so the next one starts from what they did.
  await Promise.all(inFlight.values());
  await continueAsNew<typeof platformWatch>({
    ...input,
    restarts: state.restarts,
    failingSince,
    watchingSince: state.watchingSince,
    rounds: state.rounds,
  });
}

/** The failing-since times of the components being restarted (not probed this round, so kept as they were). */
function pickRestarting(
  failingSince: Partial<Record<WatchedComponent, number>>,
  inFlight: Map<WatchedComponent, unknown>,
): Partial<Record<WatchedComponent, number>> {
  return Object.fromEntries(
    Object.entries(failingSince).filter(([component]) => inFlight.has(component as WatchedComponent)),
  );
}
