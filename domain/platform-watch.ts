// The platform watch's contract: what it finds when it probes a component, the restarts it records, and the
// settings a run starts with (carried over continue-as-new). Types and pure helpers only, shared by the
// workflow, its activities, the CLI and tests.
import { MANAGED_COMPONENTS, type EnsureAction } from './platform';

/**
 * What the watch looks after: the managed components, and the stream job (`flink`), which it restarts only
 * while the user wants it running (started with `dp stream start`, not stopped with `dp stream stop`).
 */
export const WATCHED_COMPONENTS = [...MANAGED_COMPONENTS, 'flink'] as const;
export type WatchedComponent = (typeof WATCHED_COMPONENTS)[number];

/** One watch per platform: `dp up` starts it under this id, `dp down` stops it. */
export const PLATFORM_WATCH_WORKFLOW_ID = 'platform-watch';

/**
 * `off`: nothing to watch (the stream job when the user has not started it, or a target that runs no such
 * process); never restarted. `healthy`: its health check passes. `down`: its process is gone or nothing
 * listens on its port, so it is restarted at once. `failing`: it runs but fails its health check (a JVM under
 * load can be slow), so it is restarted only once it has failed for the grace time.
 */
export type ComponentCondition = 'off' | 'healthy' | 'down' | 'failing';

export interface ComponentCheck {
  component: WatchedComponent;
  condition: ComponentCondition;
  detail: string;
}

/** Why the watch restarted a component. */
export type RestartReason = 'down' | 'failing';

export interface WatchRestart {
  component: WatchedComponent;
  reason: RestartReason;
  /** What the probe said when the watch decided to restart it. */
  detail: string;
  /** When the watch decided to restart it (ISO time). */
  at: string;
  /**
   * `started`: the watch started it; `adopted`: it was healthy again by the time the driver looked (another
   * `dp up` restarted it, or it recovered); `failed`: it did not come back (the next round tries again).
   */
  outcome: EnsureAction | 'failed';
  /** From the decision until the component was healthy again (absent when it failed). */
  secondsToHealthy?: number;
  /** The driver's answer, or the failure's message. */
  result: string;
}

export interface PlatformWatchSettings {
  /** The components to watch; by default every managed component and the stream job. */
  components: WatchedComponent[];
  /** The pause between two probe rounds. */
  probeIntervalSeconds: number;
  /** How long a running component may fail its health check before it is restarted. */
  failingGraceSeconds: number;
  /** Probe rounds in one run before it continues as new (so its history stays small). */
  roundsPerRun: number;
  /** Restarts kept in the state (the most recent ones). */
  keptRestarts: number;
}

/** What a run continues from: settings, restarts so far and the components failing since when. */
export interface PlatformWatchInput extends Partial<PlatformWatchSettings> {
  restarts?: WatchRestart[];
  /** Epoch ms since which each component has been failing its health check (carried over continue-as-new). */
  failingSince?: Partial<Record<WatchedComponent, number>>;
  /** When the first run of this watch started (ISO time). */
  watchingSince?: string;
  /** Probe rounds done by the runs before this one. */
  rounds?: number;
}

/** The answer of platformWatchQuery: what `dp status` shows. */
export interface PlatformWatchState {
  watchingSince: string;
  rounds: number;
  lastRoundAt?: string;
  /** The last probe round's findings. */
  components: ComponentCheck[];
  /** Components being restarted right now. */
  restarting: WatchedComponent[];
  /** The most recent restarts, oldest first. */
  restarts: WatchRestart[];
}

export const DEFAULT_WATCH_SETTINGS: PlatformWatchSettings = {
  components: [...WATCHED_COMPONENTS],
  probeIntervalSeconds: 10,
  failingGraceSeconds: 120,
  // 180 rounds of 10 s: a new run every half hour or so, a few thousand events each.
  roundsPerRun: 180,
  keptRestarts: 50,
};

/** The settings of a run: the defaults, with what the input sets (checked, so a bad one fails at once). */
export function watchSettings(input: PlatformWatchInput): PlatformWatchSettings {
  const settings: PlatformWatchSettings = {
    components: input.components ?? DEFAULT_WATCH_SETTINGS.components,
    probeIntervalSeconds: input.probeIntervalSeconds ?? DEFAULT_WATCH_SETTINGS.probeIntervalSeconds,
    failingGraceSeconds: input.failingGraceSeconds ?? DEFAULT_WATCH_SETTINGS.failingGraceSeconds,
    roundsPerRun: input.roundsPerRun ?? DEFAULT_WATCH_SETTINGS.roundsPerRun,
    keptRestarts: input.keptRestarts ?? DEFAULT_WATCH_SETTINGS.keptRestarts,
  };
  const positive = (name: string, value: number, integer = false) => {
    if (!(value > 0) || (integer && !Number.isInteger(value))) {
      throw new Error(
        `platformWatch: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}.`,
      );
    }
  };
  positive('probeIntervalSeconds', settings.probeIntervalSeconds);
  positive('failingGraceSeconds', settings.failingGraceSeconds);
  positive('roundsPerRun', settings.roundsPerRun, true);
  positive('keptRestarts', settings.keptRestarts, true);
  if (settings.components.length === 0) throw new Error('platformWatch: no components to watch.');
  const unknown = settings.components.filter((c) => !DEFAULT_WATCH_SETTINGS.components.includes(c));
  if (unknown.length > 0) {
    throw new Error(
      `platformWatch: unknown component(s) ${unknown.join(', ')}; ` +
        `use some of ${DEFAULT_WATCH_SETTINGS.components.join(', ')}.`,
    );
  }
  return settings;
}

/** What a restart did: the driver's action and its answer. */
export interface RestartResult {
  action: EnsureAction;
  detail: string;
}

export interface RestartDecision {
  component: WatchedComponent;
  reason: RestartReason;
  detail: string;
}

/** The components to restart now: every one that is down, and every one failing for the grace time or more. */
export function componentsToRestart(
  checks: ComponentCheck[],
  failingSince: Partial<Record<WatchedComponent, number>>,
  now: number,
  failingGraceSeconds: number,
): RestartDecision[] {
  return checks.flatMap((check): RestartDecision[] => {
    if (check.condition === 'down') {
      return [{ component: check.component, reason: 'down', detail: check.detail }];
    }
    const since = failingSince[check.component];
    if (check.condition === 'failing' && since !== undefined && now - since >= failingGraceSeconds * 1000) {
      return [{ component: check.component, reason: 'failing', detail: check.detail }];
    }
    return [];
  });
}

/** Updates when each component started failing: set on its first failing check, cleared otherwise. */
export function trackFailing(
  checks: ComponentCheck[],
  failingSince: Partial<Record<WatchedComponent, number>>,
  now: number,
): Partial<Record<WatchedComponent, number>> {
  const next: Partial<Record<WatchedComponent, number>> = {};
  for (const check of checks) {
    if (check.condition === 'failing') next[check.component] = failingSince[check.component] ?? now;
  }
  return next;
}
