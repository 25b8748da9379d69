/**
 * The secrets of a release, collected in one place (`secretValues`), and the one way they are kept
 * out of what the tool writes: the Redactor for logs, the summary and the report, and
 * `maskableValues` for GitHub's own log masker.
 */
import type { EngineEvent } from '../engine/report/events.js';
import type { LockReport } from '../contract/lock-report.js';
import type { JobReport, RunReport, StageReport, WaveReport } from '../engine/report/report.js';
import type { ReleaseSettings } from './settings.js';

export const REDACTED = '***';

/**
 * What the summary and annotations strip from text (github-escape's stripControl): ANSI CSI/OSC
 * sequences and control characters other than tab and newline.
 */
const CONTROL_ALL =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_ONE = /[\x00-\x08\x0b-\x1f\x7f]/;

/** Shorter values (or lines of a multi-line value) are not redacted on their own. */
export const MIN_REDACTED_LENGTH = 4;

/** Every secret value of a release: the private key, its passphrase and each `secret-vars` value. */
export function secretValues(
  settings: Pick<ReleaseSettings, 'secretVars' | 'privateKey' | 'passphrase'>,
): string[] {
  return [
    ...(settings.privateKey ? [settings.privateKey] : []),
    ...(settings.passphrase ? [settings.passphrase] : []),
    ...Object.values(settings.secretVars),
  ];
}

/** Names of the secrets whose value is too short to be redacted: the user must be told. */
export function tooShortToRedact(secrets: Readonly<Record<string, string>>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.trim() !== '' && value.trim().length < MIN_REDACTED_LENGTH)
    .map(([name]) => name);
}

/**
 * What to look for: each secret whole and, because a masker finds a multi-line value only where it
 * appears whole, each of its lines of at least MIN_REDACTED_LENGTH characters on its own. Shorter
 * lines are left out: replacing every "a" would garble the output and protect nothing.
 */
function secretPieces(secrets: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (secret.trim() === '') continue;
    out.add(secret);
    for (const line of secret.split(/\r?\n/))
      if (line.trim().length >= MIN_REDACTED_LENGTH) out.add(line.trim());
  }
  return out;
}

/** Every string to register with GitHub's log masker (`core.setSecret`) for these secrets. */
export function maskableValues(secrets: Iterable<string>): string[] {
  return [...secretPieces(secrets)];
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
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [...secretPieces(secrets)]
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
    if (!CONTROL_ONE.test(out)) return out;
    // A secret cut by control characters (`AAAA\rBBBB`, a colour code inside it) is whole again
    // once they are removed: the summary and annotations strip them, and a viewer drops a CR.
    for (const s of this.#interrupted()) out = out.replace(s, REDACTED);
    return out;
  }

  /** Each secret as a pattern that allows control characters and escape sequences between its characters. */
  #interrupted(): RegExp[] {
    this.#patterns ??= this.#secrets.map((secret) => {
      const chars = [...secret.replace(CONTROL_ALL, '')].map((c) =>
        c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
      );
      return new RegExp(chars.join(`(?:${CONTROL_ALL.source})*`), 'g');
    });
    return this.#patterns;
  }
  #patterns: RegExp[] | undefined;

  job(job: JobReport): JobReport {
    return {
      ...job,
      error: job.error === null ? null : this.text(job.error),
      outputTail: this.text(job.outputTail),
    };
  }

  stage(stage: StageReport): StageReport {
    return {
      ...stage,
      ...(stage.reason !== undefined ? { reason: this.text(stage.reason) } : {}),
      jobs: stage.jobs.map((j) => this.job(j)),
      ...(stage.waves ? { waves: stage.waves.map((w) => this.wave(w)) } : {}),
    };
  }

  wave(wave: WaveReport): WaveReport {
    const { gate } = wave;
    if (!gate) return wave;
    const error = gate.error === null ? null : this.text(gate.error);
    return { ...wave, gate: { ...gate, error, outputTail: this.text(gate.outputTail) } };
  }

  report(report: RunReport): RunReport {
    if (this.empty) return report;
    return {
      ...report,
      ...(report.reason !== undefined ? { reason: this.text(report.reason) } : {}),
      ...(report.lock ? { lock: this.lock(report.lock) } : {}),
      ...(report.warnings ? { warnings: report.warnings.map((w) => this.text(w)) } : {}),
      stages: report.stages.map((s) => this.stage(s)),
    };
  }

  lock(lock: LockReport): LockReport {
    const out = { ...lock };
    if (out.heldBy !== undefined) out.heldBy = this.text(out.heldBy);
    if (out.runUrl !== undefined) out.runUrl = this.text(out.runUrl);
    return out;
  }

  event(e: EngineEvent): EngineEvent {
    if (this.empty) return e;
    switch (e.type) {
      case 'output':
        return { ...e, line: this.text(e.line) };
      case 'job-retry':
      case 'verify-retry':
        return { ...e, error: this.text(e.error) };
      case 'warning':
      case 'info':
        return { ...e, message: this.text(e.message) };
      case 'job-end':
        return { ...e, job: this.job(e.job) };
      case 'stage-end':
        return { ...e, stage: this.stage(e.stage) };
      case 'wave-end':
        return { ...e, wave: this.wave(e.wave) };
      case 'run-end':
        return { ...e, report: this.report(e.report) };
      default:
        return e;
    }
  }
}
