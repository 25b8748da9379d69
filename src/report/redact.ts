import type { EngineEvent } from '../engine/events.js';
import type { JobReport, RunReport } from '../engine/report.js';

export const REDACTED = '***';

/** Shorter values (or lines of a multi-line value) are not redacted on their own. */
export const MIN_REDACTED_LENGTH = 4;

/** Names of the secrets whose value is too short to be redacted: the user must be told. */
export function tooShortToRedact(secrets: Readonly<Record<string, string>>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.trim() !== '' && value.trim().length < MIN_REDACTED_LENGTH)
    .map(([name]) => name);
}

/**
 * Replaces secret values in text the tool writes (logs, summary, report). Each line of a multi-line
 * secret is a secret of its own, as GitHub masks them. Values shorter than 4 characters are not
 * redacted on their own: replacing every "a" would make output unreadable and protect nothing
 * (the release warns about such secrets by name instead).
 */
export class Redactor {
  readonly #secrets: string[];
  /** Length of the longest value that can appear within one line of output. */
  readonly longest: number;

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const s of secrets) {
      if (!s) continue;
      all.add(s);
      for (const line of s.split(/\r?\n/))
        if (line.trim().length >= MIN_REDACTED_LENGTH) all.add(line.trim());
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [...all]
      .filter((s) => s.length >= MIN_REDACTED_LENGTH)
      .sort((a, b) => b.length - a.length);
    this.longest = this.#secrets.find((s) => !/[\r\n]/.test(s))?.length ?? 0;
  }

  get empty(): boolean {
    return this.#secrets.length === 0;
  }

  text(value: string): string {
    let out = value;
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  job(job: JobReport): JobReport {
    return {
      ...job,
      error: job.error === null ? null : this.text(job.error),
      outputTail: this.text(job.outputTail),
    };
  }

  report(report: RunReport): RunReport {
    if (this.empty) return report;
    return {
      ...report,
      ...(report.reason !== undefined ? { reason: this.text(report.reason) } : {}),
      stages: report.stages.map((s) => ({ ...s, jobs: s.jobs.map((j) => this.job(j)) })),
    };
  }

  event(e: EngineEvent): EngineEvent {
    if (this.empty) return e;
    switch (e.type) {
      case 'output':
        return { ...e, line: this.text(e.line) };
      case 'job-retry':
        return { ...e, error: this.text(e.error) };
      case 'warning':
        return { ...e, message: this.text(e.message) };
      case 'job-end':
        return { ...e, job: this.job(e.job) };
      case 'stage-end':
        return { ...e, stage: { ...e.stage, jobs: e.stage.jobs.map((j) => this.job(j)) } };
      case 'run-end':
        return { ...e, report: this.report(e.report) };
      default:
        return e;
    }
  }
}
