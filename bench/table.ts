import type { Row } from './rows.js';

/** Renders rows as a GitHub markdown table: medians with min–max over the repetitions. */
export function renderTable(rows: readonly Row[]): string {
  const lines = [
    '| Case | Metric | Median | Min–max | n | Target | Result |',
    '|---|---|--:|--:|--:|--:|:-:|',
  ];
  for (const r of rows) {
    const { median, min, max, n } = r.summary;
    const range = n > 1 ? `${fmt(min, r.unit)}–${fmt(max, r.unit)}` : '';
    const op = { '<=': '≤', '<': '<', '>=': '≥' }[r.target?.op ?? '<='];
    const on = r.judgeOn === 'max' ? 'max ' : '';
    const target = r.target ? `${on}${op} ${fmt(r.target.value, r.unit)}` : '';
    const result = r.verdict ?? '';
    lines.push(
      `| ${r.case} | ${r.metric} | ${fmt(median, r.unit)} | ${range} | ${n} | ${target} | ${result} |`,
    );
  }
  return lines.join('\n');
}

export function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  switch (unit) {
    case 'x':
      return `${value.toFixed(3)}×`;
    case 's':
    case 'CPU s':
      return `${value.toFixed(value < 1 ? 3 : 2)} ${unit}`;
    case 'ms':
      return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
    case 'MB':
    case 'MiB/s':
      return `${value.toFixed(value < 100 ? 1 : 0)} ${unit}`;
    default:
      return `${Math.round(value * 100) / 100}${unit === 'count' ? '' : ` ${unit}`}`;
  }
}
