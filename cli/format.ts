// Rendering query results and status tables for the terminal, CSV or JSON.
import type { TrinoResult } from '../clients/trino';

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Key figures as `name value` pairs, e.g. `running queries 2, workers 1`; '-' when there are none. */
export function formatFigures(figures: Record<string, number> | undefined): string {
  const entries = Object.entries(figures ?? {});
  return entries.length === 0 ? '-' : entries.map(([name, value]) => `${name} ${value}`).join(', ');
}

export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

export function resultAsTable(result: TrinoResult): string {
  const headers = result.columns.map((c) => c.name);
  const body = formatTable(
    headers,
    result.rows.map((r) => r.map(cell)),
  );
  return `${body}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = cell(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function resultAsCsv(result: TrinoResult): string {
  const lines = [result.columns.map((c) => csvField(c.name)).join(',')];
  for (const row of result.rows) lines.push(row.map(csvField).join(','));
  return lines.join('\n');
}

export function resultAsJson(result: TrinoResult): string {
  return JSON.stringify(
    result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]]))),
    null,
    2,
  );
}
