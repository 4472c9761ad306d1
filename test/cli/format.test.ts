import { formatTable, resultAsCsv, resultAsJson, resultAsTable } from '../../cli/format';
import type { TrinoResult } from '../../clients/trino';

const result: TrinoResult = {
  queryId: 'q1',
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'note', type: 'varchar' },
  ],
  rows: [
    [1, 'plain'],
    [2, 'has, comma and "quotes"'],
    [3, null],
  ],
};

describe('query output', () => {
  test('CSV quotes fields with commas and quotes and leaves nulls empty', () => {
    expect(resultAsCsv(result).split('\n')).toEqual([
      'id,note',
      '1,plain',
      '2,"has, comma and ""quotes"""',
      '3,',
    ]);
  });

  test('JSON is an array of objects keyed by column', () => {
    expect(JSON.parse(resultAsJson(result))).toEqual([
      { id: 1, note: 'plain' },
      { id: 2, note: 'has, comma and "quotes"' },
      { id: 3, note: null },
    ]);
  });

  test('the table aligns columns and counts rows', () => {
    const lines = resultAsTable(result).split('\n');
    expect(lines[0]).toBe('id | note');
    expect(lines[1]).toBe('---+------------------------');
    expect(lines[4]).toBe('3  | NULL');
    expect(lines[5]).toBe('(3 rows)');
    expect(formatTable(['a'], [])).toBe('a\n-');
  });
});
