import { median, renderRounds, renderTable, summarize, type RoundResult } from '../../chaos/summary';

function round(fields: Partial<RoundResult>): RoundResult {
  return {
    index: 1,
    component: 'worker',
    plannedStage: 'branching',
    killedAt: 'branching',
    month: '2025-01',
    verdict: 'published',
    duplicates: 0,
    leakedBranches: 0,
    recoverySeconds: 10,
    notes: [],
    ...fields,
  };
}

describe('median', () => {
  it('is the middle value of an odd count, the mean of the middle two of an even count, null of none', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  const rounds = [
    round({ index: 1, verdict: 'published', recoverySeconds: 12.34 }),
    round({ index: 2, verdict: 'clean failure', recoverySeconds: 30 }),
    round({ index: 3, verdict: 'dirty', duplicates: 200, leakedBranches: 2, recoverySeconds: undefined }),
    round({ index: 4, verdict: 'published', recoverySeconds: 20 }),
  ];

  it('counts verdicts, adds duplicates and leaks, and takes the median of the recoveries that happened', () => {
    expect(summarize(rounds)).toEqual({
      injections: 4,
      published: 2,
      clean_failures: 1,
      dirty: 1,
      duplicates: 200,
      leaked_branches: 2,
      lost_windows: 0,
      median_recovery_s: 20,
      stream_rounds: 0,
    });
  });

  it('counts stream rounds and adds their lost windows and doubled windows', () => {
    const withStream = [
      ...rounds,
      round({ index: 5, kind: 'stream', component: 'kafka', lostWindows: 0, duplicates: 0 }),
      round({
        index: 6,
        kind: 'stream',
        component: 'flink',
        verdict: 'dirty',
        lostWindows: 3,
        duplicates: 2,
      }),
    ];
    expect(summarize(withStream)).toMatchObject({
      injections: 6,
      published: 3,
      dirty: 2,
      duplicates: 202,
      lost_windows: 3,
      stream_rounds: 2,
    });
  });

  it('rounds the median to a tenth of a second and says null without any recovery', () => {
    expect(summarize([round({ recoverySeconds: 12.34 })]).median_recovery_s).toBe(12.3);
    expect(summarize([round({ recoverySeconds: undefined })]).median_recovery_s).toBeNull();
  });

  it('keeps the JSON keys in the documented order', () => {
    expect(Object.keys(summarize(rounds))).toEqual([
      'injections',
      'published',
      'clean_failures',
      'dirty',
      'duplicates',
      'leaked_branches',
      'lost_windows',
      'median_recovery_s',
      'stream_rounds',
    ]);
  });
});

describe('renderTable', () => {
  it('has a row per killed component and a column per stage at the kill, in workflow order', () => {
    const table = renderTable([
      round({ component: 'temporal', killedAt: 'publishing', verdict: 'dirty' }),
      round({ component: 'worker', killedAt: 'loading bronze', verdict: 'published' }),
      round({ component: 'worker', killedAt: 'loading bronze', verdict: 'clean failure' }),
      round({ component: 'worker', killedAt: 'fetching', verdict: 'published' }),
      round({ component: 'worker', killedAt: 'ended', verdict: 'published' }),
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0].split('|').map((c) => c.trim())).toEqual([
      'component',
      'fetching',
      'loading bronze',
      'publishing',
      'ended',
    ]);
    expect(lines[2].split('|').map((c) => c.trim())).toEqual([
      'worker',
      '1 published',
      '1 published, 1 clean failure',
      '-',
      '1 published',
    ]);
    expect(lines[3].split('|').map((c) => c.trim())).toEqual(['temporal', '-', '-', '1 dirty', '-']);
  });
});

describe('renderTable with stream rounds', () => {
  it('puts kafka and flink below the month components, their moments after the stages', () => {
    const table = renderTable([
      round({ component: 'flink', kind: 'stream', killedAt: 'after part 2', verdict: 'published' }),
      round({ component: 'kafka', kind: 'stream', killedAt: 'after part 1', verdict: 'dirty' }),
      round({ component: 'worker', killedAt: 'auditing', verdict: 'published' }),
    ]);
    const lines = table.split('\n').map((line) => line.split('|').map((c) => c.trim()));
    expect(lines[0]).toEqual(['component', 'auditing', 'after part 1', 'after part 2']);
    expect(lines.slice(2)).toEqual([
      ['worker', '1 published', '-', '-'],
      ['kafka', '-', '1 dirty', '-'],
      ['flink', '-', '-', '1 published'],
    ]);
  });
});

describe('renderRounds', () => {
  it('shows each round with its recovery and notes', () => {
    const lines = renderRounds([
      round({ recoverySeconds: 3.25, notes: [] }),
      round({ index: 2, verdict: 'clean failure', recoverySeconds: undefined, notes: ['a', 'b'] }),
    ]).split('\n');
    expect(lines[2].split('|').map((c) => c.trim())).toEqual([
      '1',
      '2025-01',
      'worker',
      'branching',
      'branching',
      '3.3 s',
      'published',
      '',
    ]);
    expect(
      lines[3]
        .split('|')
        .map((c) => c.trim())
        .slice(5),
    ).toEqual(['never', 'clean failure', 'a; b']);
  });
});
