/** The JSON record of a run: bench/results/<date>.json and bench/results/latest.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from './args.js';
import type { MachineInfo } from './machine.js';
import type { BenchPlan } from './plan.js';
import type { Row } from './rows.js';

export const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

export interface BenchRecord {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly args: BenchArgs;
  readonly machine: MachineInfo & { readonly loadAvg1AtEnd: number };
  /** How every tool was configured (algorithms, sshd settings, our transport options). */
  readonly setup: Readonly<Record<string, unknown>>;
  readonly plan: BenchPlan;
  readonly rows: readonly Row[];
  readonly notes: readonly string[];
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Writes the record; returns the paths written. */
export function writeRecord(record: BenchRecord, dir = RESULTS_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const text = `${compactJson(record)}\n`;
  const dated = path.join(dir, `${record.startedAt.slice(0, 10)}.json`);
  const latest = path.join(dir, 'latest.json');
  writeFileSync(dated, text);
  writeFileSync(latest, text);
  return [dated, latest];
}

/** Indented JSON, except that arrays of numbers stay on one line and numbers keep 3 decimals. */
export function compactJson(value: unknown): string {
  const rounded = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v,
  );
  return JSON.stringify(JSON.parse(rounded), null, 2).replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_m, list: string) => `[${list.split(/,\s*/).join(', ')}]`,
  );
}
