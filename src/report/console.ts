import type { EngineEvent } from '../engine/events.js';
import type { JobReport } from '../engine/report.js';
import { formatDuration, plural, progressLine, runFooter, runHeader, stageTitle } from './format.js';
import { StageProgress } from './progress.js';

export interface ConsoleOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const MARK: Record<JobReport['result'], string> = {
  success: '✔',
  failure: '✘',
  skipped: '–',
  cancelled: '⊘',
};

/**
 * Human-readable log of a run. Output is streamed as it arrives, every line labelled with its host
 * (padded so columns line up); on a terminal a live progress line for the running stage stays at
 * the bottom, and elsewhere a progress line is printed every 10 s while a stage runs.
 */
export interface ConsoleReporterOptions {
  /** The run uses the dry-run transport: the header and the final line say DRY RUN. Default false. */
  dryRun?: boolean;
  /** Not on a terminal: a progress line is printed this often while a stage runs. Default 10 s. */
  progressIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class ConsoleReporter {
  readonly #progress = new StageProgress();
  readonly #dryRun: boolean;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #labelWidth = 0;
  #statusShown = false;

  constructor(
    private readonly out: ConsoleOutput,
    private readonly verbose = false,
    options: ConsoleReporterOptions = {},
  ) {
    this.#dryRun = options.dryRun ?? false;
    this.#intervalMs = options.progressIntervalMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  readonly onEvent = (e: EngineEvent): void => {
    const changed = this.#progress.update(e);
    if (e.type === 'stage-start') this.#startProgress();
    if (e.type === 'stage-end' || e.type === 'run-end') this.#stopProgress();
    const line = this.#format(e);
    if (line !== null) this.#print(line);
    else if (changed) this.#drawStatus();
  };

  /**
   * Piped output (a CI log, `| tee`) has no live status line, so a stage that prints nothing for a
   * while would look hung: print the progress as a log line every interval instead, as the GitHub
   * Actions log does.
   */
  #startProgress(): void {
    this.#stopProgress();
    if (this.out.isTTY) return;
    const startedAt = this.#now();
    this.#timer = setInterval(() => {
      if (this.#progress.stage === null) return;
      const elapsed = formatDuration(this.#now() - startedAt);
      this.#print(`… ${this.#progress.stage} · ${progressLine(this.#progress.tally)} · ${elapsed}`);
    }, this.#intervalMs);
    // A progress line must never keep the process alive.
    this.#timer.unref();
  }

  #stopProgress(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #format(e: EngineEvent): string | null {
    switch (e.type) {
      case 'run-start':
        return runHeader(e, this.#dryRun);
      case 'stage-start':
        this.#labelWidth = Math.max(0, ...e.hosts.map((h) => h.length));
        return `\n▶ ${stageTitle(e)}`;
      case 'step-start':
        return `${this.#label(e.host)} » ${e.label}`;
      case 'output':
        return `${this.#label(e.host)} │ ${e.line}`;
      case 'job-start':
        return this.verbose || e.attempt > 1 ? `${this.#label(e.host)} ● attempt ${e.attempt}` : null;
      case 'job-retry':
        return `${this.#label(e.host)} ↻ ${e.error} — attempt ${e.attempt + 1} in ${formatDuration(e.delayMs)}`;
      case 'job-end':
        return `${this.#label(e.job.host)} ${MARK[e.job.result]} ${jobSummary(e.job)}`;
      case 'stage-end': {
        const count = (r: string) => e.stage.jobs.filter((j) => j.result === r).length;
        const tolerated = e.stage.tolerated ? ' (tolerated: can-fail)' : '';
        return (
          `■ ${e.stage.name}: ${e.stage.result}${tolerated} · ${count('success')} ok · ${count('failure')} failed` +
          ` · ${count('skipped')} skipped${count('cancelled') ? ` · ${count('cancelled')} cancelled` : ''}` +
          ` · ${formatDuration(e.stage.durationMs)}`
        );
      }
      case 'warning':
        return `warning: ${e.host ? `${e.host}: ` : ''}${e.message}`;
      case 'run-end': {
        const r = e.report;
        const head = `\n${runFooter(r, this.#dryRun)} · ${plural(r.stages.length, 'stage')} · ${formatDuration(r.durationMs)}`;
        return r.reason ? `${head}\n${r.reason}` : head;
      }
    }
  }

  #label(host: string): string {
    return host.padEnd(this.#labelWidth);
  }

  #print(text: string): void {
    this.#clearStatus();
    this.out.write(`${text}\n`);
    this.#drawStatus();
  }

  #clearStatus(): void {
    if (this.#statusShown) this.out.write('\r\x1b[2K');
    this.#statusShown = false;
  }

  #drawStatus(): void {
    if (!this.out.isTTY || this.#progress.stage === null) return;
    this.#clearStatus();
    this.out.write(`… ${this.#progress.stage} · ${progressLine(this.#progress.tally)}`);
    this.#statusShown = true;
  }
}

function jobSummary(j: JobReport): string {
  const parts: string[] = [j.result];
  if (j.error) parts[0] += `: ${j.error}`;
  parts.push(plural(j.attempts, 'attempt'), formatDuration(j.durationMs));
  return parts.join(' · ');
}
