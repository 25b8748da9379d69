import type { EngineEvent } from '../engine/report/events.js';
import { logText } from './log-text.js';
import { backlogNote, OutputBacklog } from './output-backlog.js';
import { ProgressTicker, StageProgress, type LogReporterOptions } from './progress.js';
import {
  formatDuration,
  HOST_MARK,
  JOB_MARK,
  jobLine,
  liveNowText,
  plural,
  progressStatus,
  retryLine,
  showsWave,
  verifyRetryLine,
  waveLine,
  runFooter,
  runHeader,
  stageLine,
  stageTitle,
  warningText,
} from './vocabulary.js';

export interface ConsoleOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Bytes waiting to be written (a Node stream's): host output is left out above a bound. */
  readonly writableLength?: number;
}

export type ConsoleReporterOptions = LogReporterOptions;

/**
 * Human-readable log of a run. Output is streamed as it arrives, every line labelled with its host
 * (padded so columns line up); on a terminal a live progress line for the running stage stays at
 * the bottom, and elsewhere a progress line is printed every 10 s while a stage runs.
 */
export class ConsoleReporter {
  readonly #progress = new StageProgress();
  readonly #ticker: ProgressTicker;
  readonly #dryRun: boolean;
  #labelWidth = 0;
  #statusShown = false;
  readonly #backlog = new OutputBacklog(() => this.out.writableLength);

  constructor(
    private readonly out: ConsoleOutput,
    private readonly verbose = false,
    options: ConsoleReporterOptions = {},
  ) {
    this.#dryRun = options.dryRun ?? false;
    this.#ticker = new ProgressTicker(this.#progress, (line) => this.#print(line), options);
  }

  readonly onEvent = (e: EngineEvent): void => {
    const changed = this.#progress.update(e);
    // On a terminal the live status line shows the progress; elsewhere it is printed every interval.
    if (e.type === 'stage-start' && !this.out.isTTY) this.#ticker.start();
    if (e.type === 'stage-end' || e.type === 'run-end') this.#ticker.stop();
    if (e.type === 'output' && this.#backlog.skip(e.host)) return;
    const host = e.type === 'output' ? e.host : e.type === 'job-end' ? e.job.host : undefined;
    if (host !== undefined) {
      for (const [h, n] of this.#backlog.take(host))
        this.#print(`${this.#label(h)} ${HOST_MARK.output} ${backlogNote(n)}`);
    }
    const line = this.#format(e);
    if (line !== null) this.#print(line);
    else if (changed) this.#drawStatus();
  };

  #format(e: EngineEvent): string | null {
    switch (e.type) {
      case 'run-start':
        return runHeader(e, this.#dryRun);
      case 'stage-start':
        this.#labelWidth = Math.max(0, ...e.hosts.map((h) => h.length));
        return `\n▶ ${stageTitle(e)}`;
      case 'step-start':
        return `${this.#label(e.host)} ${HOST_MARK.step} ${e.label}`;
      case 'output':
        return `${this.#label(e.host)} ${HOST_MARK.output} ${e.line}`;
      case 'job-start':
        return this.verbose || e.attempt > 1
          ? `${this.#label(e.host)} ${HOST_MARK.attempt} attempt ${e.attempt}`
          : null;
      case 'job-retry':
        return `${this.#label(e.host)} ${HOST_MARK.retry} ${retryLine(e)}`;
      case 'verify-retry':
        return `${this.#label(e.host)} ${HOST_MARK.retry} ${verifyRetryLine(e)}`;
      case 'job-end':
        return `${this.#label(e.job.host)} ${JOB_MARK[e.job.result]} ${jobLine(e.job)}`;
      case 'wave-end':
        return showsWave(e.wave, e.total) ? waveLine(e.wave, e.total) : null;
      case 'stage-end':
        return stageLine(e.stage);
      case 'warning':
        return `warning: ${warningText(e)}`;
      case 'info':
        return e.message;
      case 'run-end': {
        const r = e.report;
        const head = `\n${runFooter(r, this.#dryRun)} · ${plural(r.stages.length, 'stage')} · ${formatDuration(r.durationMs)}`;
        return [head, liveNowText(r), r.reason].filter(Boolean).join('\n');
      }
    }
  }

  #label(host: string): string {
    return host.padEnd(this.#labelWidth);
  }

  #print(text: string): void {
    this.#clearStatus();
    this.out.write(`${logText(text)}\n`);
    this.#drawStatus();
  }

  #clearStatus(): void {
    if (this.#statusShown) this.out.write('\r\x1b[2K');
    this.#statusShown = false;
  }

  #drawStatus(): void {
    if (!this.out.isTTY || this.#progress.stage === null) return;
    this.#clearStatus();
    this.out.write(progressStatus(this.#progress.stage, this.#progress.tally));
    this.#statusShown = true;
  }
}
