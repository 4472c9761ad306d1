import {
  boundedInteger,
  cycledMonth,
  KILL_STAGES,
  STREAM_KILL_MAX_DELAY_MS,
  STREAM_PARTS,
  parseComponents,
  planRounds,
  stageReached,
} from '../../chaos/plan';
import { createRng } from '../../clients/kafka/sensor-events';

describe('cycledMonth', () => {
  it('counts months from the first and wraps after 12, across a year end', () => {
    expect(cycledMonth('2025-01', 0)).toBe('2025-01');
    expect(cycledMonth('2025-01', 11)).toBe('2025-12');
    expect(cycledMonth('2025-01', 12)).toBe('2025-01');
    expect(cycledMonth('2024-11', 2)).toBe('2025-01');
    expect(cycledMonth('2024-11', 13)).toBe('2024-12');
  });

  it('refuses a month that is not YYYY-MM', () => {
    expect(() => cycledMonth('2025-13', 0)).toThrow(/Invalid month '2025-13'/);
  });
});

describe('planRounds', () => {
  const options = {
    injections: 40,
    seed: 7,
    components: ['worker', 'temporal'] as const,
    firstMonth: '2024-01',
  };

  it('is reproducible from the seed and uses only the given components', () => {
    const plan = planRounds(options);
    expect(planRounds(options)).toEqual(plan);
    expect(plan).toHaveLength(40);
    expect(new Set(plan.map((r) => r.component))).toEqual(new Set(['worker', 'temporal']));
    expect(plan.every((r) => (KILL_STAGES as readonly string[]).includes(r.stage))).toBe(true);
    expect(plan.map((r) => r.index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(plan.slice(0, 13).map((r) => r.month)).toEqual([
      '2024-01',
      '2024-02',
      '2024-03',
      '2024-04',
      '2024-05',
      '2024-06',
      '2024-07',
      '2024-08',
      '2024-09',
      '2024-10',
      '2024-11',
      '2024-12',
      '2024-01',
    ]);
  });

  it('draws each component and stage from the seeded sequence', () => {
    // The same draws by hand: component then stage, per round.
    const random = createRng(7);
    const expected = Array.from({ length: 5 }, () => {
      const component = options.components[Math.floor(random() * 2)];
      const stage = KILL_STAGES[Math.floor(random() * KILL_STAGES.length)];
      return [component, stage];
    });
    expect(planRounds({ ...options, injections: 5 }).map((r) => [r.component, r.stage])).toEqual(expected);
  });

  it('spreads kills over every stage given enough rounds', () => {
    const plan = planRounds({ ...options, injections: 200 });
    expect(new Set(plan.map((r) => r.stage))).toEqual(new Set(KILL_STAGES));
  });

  it('plans stream rounds for kafka and flink: a part of the readings and a delay after it, from the same draws', () => {
    const streamOptions = { ...options, components: ['kafka', 'flink'] as const };
    const random = createRng(7);
    const expected = Array.from({ length: 6 }, () => {
      const component = streamOptions.components[Math.floor(random() * 2)];
      const afterPart = 1 + Math.floor(random() * (STREAM_PARTS - 1));
      const delayMs = Math.round((random() * STREAM_KILL_MAX_DELAY_MS) / 100) * 100;
      return { kind: 'stream', component, stage: `after part ${afterPart}`, afterPart, delayMs, month: '-' };
    });
    const plan = planRounds({ ...streamOptions, injections: 6 });
    expect(plan).toEqual(expected.map((round, i) => ({ index: i + 1, ...round })));
    const many = planRounds({ ...streamOptions, injections: 200 });
    for (const round of many) {
      if (round.kind !== 'stream') throw new Error(`a month round for ${round.component}`);
      expect(round.afterPart).toBeGreaterThanOrEqual(1);
      expect(round.afterPart).toBeLessThan(STREAM_PARTS);
      expect(round.delayMs).toBeGreaterThanOrEqual(0);
      expect(round.delayMs).toBeLessThanOrEqual(STREAM_KILL_MAX_DELAY_MS);
    }
    expect(new Set(many.map((r) => r.stage)).size).toBe(STREAM_PARTS - 1);
  });

  it('mixes month and stream rounds, leaving the month rounds of a plan without stream components as they were', () => {
    const plan = planRounds({ ...options, components: ['worker', 'kafka'], injections: 50 });
    expect(new Set(plan.map((r) => r.kind))).toEqual(new Set(['month', 'stream']));
    for (const round of plan) expect(round.kind).toBe(round.component === 'kafka' ? 'stream' : 'month');
    // Month rounds keep their month by position: round i runs firstMonth + (i - 1).
    const months = plan.filter((r) => r.kind === 'month');
    expect(months.every((r) => r.month === cycledMonth('2024-01', r.index - 1))).toBe(true);
  });

  it('refuses no rounds and no components', () => {
    expect(() => planRounds({ ...options, injections: 0 })).toThrow(/--injections/);
    expect(() => planRounds({ ...options, components: [] })).toThrow(/--components/);
  });
});

describe('parseComponents', () => {
  it('reads a comma-separated list, trimmed and without repeats', () => {
    expect(parseComponents('worker, temporal,worker')).toEqual(['worker', 'temporal']);
  });

  it('accepts the stream components', () => {
    expect(parseComponents('kafka,flink,worker')).toEqual(['kafka', 'flink', 'worker']);
  });

  it('names unknown components and the accepted ones', () => {
    expect(() => parseComponents('worker,zookeeper')).toThrow(
      "--components: unknown component(s) 'zookeeper'; use a comma-separated list of worker, temporal, trino, nessie, objectstore, kafka, flink.",
    );
    expect(() => parseComponents(' , ')).toThrow(/\(none given\)/);
  });
});

describe('boundedInteger', () => {
  it('accepts whole numbers within the bounds', () => {
    expect(boundedInteger('--rows', '5000', 1000, 10000)).toBe(5000);
  });

  it.each(['999', '10001', '5e3', '-1', '1.5', 'many', ''])('refuses %p naming the option', (text) => {
    expect(() => boundedInteger('--rows', text, 1000, 10000)).toThrow(
      `--rows must be a whole number from 1000 to 10000, got '${text}'.`,
    );
  });
});

describe('stageReached', () => {
  it('counts a stage as reached at and after it, in workflow order', () => {
    expect(stageReached('branching', 'branching')).toBe(true);
    expect(stageReached('transforming', 'branching')).toBe(true);
    expect(stageReached('published', 'publishing')).toBe(true);
    expect(stageReached('fetching', 'branching')).toBe(false);
    expect(stageReached('waiting for source', 'fetching')).toBe(true);
    expect(stageReached('auditing', 'publishing')).toBe(false);
  });

  it('refuses a stage the workflow does not have', () => {
    expect(() => stageReached('loading', 'fetching')).toThrow(/unknown stage 'loading'/);
  });
});
