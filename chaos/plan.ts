// The plan of a chaos run: which component is killed at which stage of which month (month rounds), or at
// which moment of the stream's readings (stream rounds), drawn from a seeded PRNG so a run is reproducible
// from its seed. Pure: no I/O.
import { createRng } from '../clients/kafka/sensor-events';
import { ELT_STAGES } from '../domain/elt';
import { validMonth } from '../domain/months';

/** Processes a month round can kill, by their local component names (platform/local/services.ts). */
export const MONTH_COMPONENTS = ['worker', 'temporal', 'trino', 'nessie', 'objectstore'] as const;
/** Processes a stream round kills: the broker and the stream job. */
export const STREAM_COMPONENTS = ['kafka', 'flink'] as const;
export const CHAOS_COMPONENTS = [...MONTH_COMPONENTS, ...STREAM_COMPONENTS] as const;
export type MonthComponent = (typeof MONTH_COMPONENTS)[number];
export type StreamComponent = (typeof STREAM_COMPONENTS)[number];
export type ChaosComponent = MonthComponent | StreamComponent;

export function isStreamComponent(component: ChaosComponent): component is StreamComponent {
  return (STREAM_COMPONENTS as readonly string[]).includes(component);
}

/** A stream round's readings go to Kafka in this many parts; the kill comes after one of the first ones. */
export const STREAM_PARTS = 3;
/** The longest pause between a part's acknowledgement and the kill (checkpoints come every 3 s). */
export const STREAM_KILL_MAX_DELAY_MS = 8000;

/** The stages of the month's workflow (domain/elt.ts EltStage) a kill is aimed at, in workflow order. */
export const KILL_STAGES = [
  'fetching',
  'branching',
  'loading bronze',
  'transforming',
  'auditing',
  'publishing',
] as const;
export type KillStage = (typeof KILL_STAGES)[number];

export interface MonthRound {
  kind: 'month';
  /** 1-based. */
  index: number;
  component: MonthComponent;
  stage: KillStage;
  month: string;
}

/** The kill `delayMs` after part `afterPart` of the readings was acknowledged, while the job works on it. */
export interface StreamRound {
  kind: 'stream';
  index: number;
  component: StreamComponent;
  /** 'after part N', for the table. */
  stage: string;
  /** No month: '-'. */
  month: string;
  afterPart: number;
  delayMs: number;
}

export type PlannedRound = MonthRound | StreamRound;

/** The month `offset` months after `first`, cycling within the 12 months that start at `first`. */
export function cycledMonth(first: string, offset: number): string {
  const [year, month] = validMonth(first).split('-').map(Number);
  const index = year * 12 + (month - 1) + (offset % 12);
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export interface PlanOptions {
  injections: number;
  seed: number;
  components: readonly ChaosComponent[];
  /** Round i runs month firstMonth + (i - 1), cycling over 12 months. */
  firstMonth: string;
}

export function planRounds(options: PlanOptions): PlannedRound[] {
  if (!Number.isInteger(options.injections) || options.injections < 1) {
    throw new Error(`--injections must be a whole number of at least 1, got ${options.injections}.`);
  }
  if (options.components.length === 0) throw new Error('--components names no component to kill.');
  const random = createRng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  return Array.from({ length: options.injections }, (_, i): PlannedRound => {
    const component = pick(options.components);
    if (isStreamComponent(component)) {
      // Two draws, as a month round's component and stage: a plan without stream components is unchanged.
      const afterPart = 1 + Math.floor(random() * (STREAM_PARTS - 1));
      const delayMs = Math.round((random() * STREAM_KILL_MAX_DELAY_MS) / 100) * 100;
      return {
        kind: 'stream',
        index: i + 1,
        component,
        stage: `after part ${afterPart}`,
        month: '-',
        afterPart,
        delayMs,
      };
    }
    return {
      kind: 'month',
      index: i + 1,
      component,
      stage: pick(KILL_STAGES),
      month: cycledMonth(options.firstMonth, i),
    };
  });
}

/** `--components worker,kafka`: each name checked against the components a round can kill. */
export function parseComponents(text: string): ChaosComponent[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(CHAOS_COMPONENTS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `--components: unknown component(s) ${unknown.map((n) => `'${n}'`).join(', ') || '(none given)'}; ` +
        `use a comma-separated list of ${CHAOS_COMPONENTS.join(', ')}.`,
    );
  }
  return [...new Set(names)] as ChaosComponent[];
}

/** A whole number option within bounds, or an error naming the option and the accepted range. */
export function boundedInteger(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got '${text}'.`);
  }
  return value;
}

/** Whether a workflow in `current` is at or past `planned` (a stage that went by between two looks). */
export function stageReached(current: string, planned: KillStage): boolean {
  const at = (ELT_STAGES as readonly string[]).indexOf(current);
  if (at === -1) throw new Error(`unknown stage '${current}' of the month's workflow`);
  return at >= ELT_STAGES.indexOf(planned);
}
