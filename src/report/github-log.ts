import type { EngineEvent } from '../engine/events.js';
import type { JobReport, StageReport } from '../engine/report.js';
import {
  ANNOTATIONS_PER_LEVEL,
  exitText,
  overflowAnnotation,
  stageAnnotations,
  type Annotation,
} from './github-annotations.js';
import { formatDuration, plural, progressLine, runFooter, runHeader, stageTitle } from './format.js';
import { StageProgress } from './progress.js';

/** The part of `@actions/core` this reporter writes with (tests pass a recording fake). */
export interface GitHubLog {
  info(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  warning(message: string, properties?: { title?: string }): void;
  error(message: string, properties?: { title?: string }): void;
}

export interface GitHubLogOptions {
  /** The run uses the dry-run transport: the header and the final line say DRY RUN. Default false. */
  dryRun?: boolean;
  /** A progress line is printed this often while a stage runs. Default 10 s. */
  progressIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

const MARK: Record<JobReport['result'], string> = {
  success: '✔',
  failure: '✘',
  skipped: '–',
  cancelled: '⊘',
};

/**
 * The workflow log of a run: one collapsible group per stage, titled like
 * `Stage 2/3 · Distribute code · 12 hosts · canary web-1`. Output is streamed as it arrives, each
 * line labelled with its host; the label also keeps a host from issuing workflow commands
 * (`::error::…` only counts at the start of a line). After each group: the stage's result line and
 * its annotations, so a collapsed log still reads as a story.
 */
export class GitHubLogReporter {
  readonly #progress = new StageProgress();
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #dryRun: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stageStartedAt = 0;
  #labelWidth = 0;
  #groupOpen = false;
  readonly #sent = { error: 0, warning: 0 };
  readonly #hidden = { error: 0, warning: 0 };
  readonly #warnings = new Set<string>();

  constructor(
    private readonly log: GitHubLog,
    options: GitHubLogOptions = {},
  ) {
    this.#intervalMs = options.progressIntervalMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#dryRun = options.dryRun ?? false;
  }

  readonly onEvent = (e: EngineEvent): void => {
    this.#progress.update(e);
    switch (e.type) {
      case 'run-start':
        this.#info(runHeader(e, this.#dryRun));
        return;
      case 'stage-start':
        this.#closeGroup();
        this.#labelWidth = Math.max(0, ...e.hosts.map((h) => h.length));
        this.log.startGroup(stageTitle(e));
        this.#groupOpen = true;
        this.#startProgress();
        return;
      case 'step-start':
        this.#hostLine(e.host, '»', e.label);
        return;
      case 'output':
        this.#hostLine(e.host, '│', e.line);
        return;
      case 'job-start':
        if (e.attempt > 1) this.#hostLine(e.host, '●', `attempt ${e.attempt}`);
        return;
      case 'job-retry':
        this.#hostLine(e.host, '↻', `${e.error} — attempt ${e.attempt + 1} in ${formatDuration(e.delayMs)}`);
        return;
      case 'job-end':
        this.#hostLine(e.job.host, MARK[e.job.result], jobLine(e.job));
        return;
      case 'stage-end':
        this.#closeGroup();
        this.#info(stageLine(e.stage));
        for (const a of stageAnnotations(e.stage)) this.#annotate(a);
        return;
      case 'warning': {
        const message = e.host ? `${e.host}: ${e.message}` : e.message;
        if (this.#warnings.has(message)) return;
        this.#warnings.add(message);
        this.#annotate({ level: 'warning', title: 'boerewors', message });
        return;
      }
      case 'run-end':
        this.close();
        this.#info(`${runFooter(e.report, this.#dryRun)} · ${formatDuration(e.report.durationMs)}`);
        return;
    }
  };

  /**
   * Ends the open group, stops the progress timer and sends the overflow annotations. Called at
   * `run-end`, and by the action when a cancelled run has to be reported before the engine is done.
   */
  close(): void {
    this.#closeGroup();
    for (const level of ['error', 'warning'] as const) {
      if (this.#hidden[level] === 0) continue;
      const a = overflowAnnotation(level, this.#hidden[level]);
      this.log[level](a.message, { title: a.title });
      this.#hidden[level] = 0;
    }
  }

  #annotate(a: Annotation): void {
    // Two slots stay free per level: the overflow note, and the action's own final error.
    if (this.#sent[a.level] >= ANNOTATIONS_PER_LEVEL - 2) {
      this.#hidden[a.level] += 1;
      return;
    }
    this.#sent[a.level] += 1;
    this.log[a.level](a.message, { title: a.title });
  }

  /** One line of our own; names from the config cannot break it into more. */
  #info(text: string): void {
    this.log.info(text.replace(/[\r\n]+/g, ' '));
  }

  /** Every physical line starts with the host label: none can be read as a workflow command. */
  #hostLine(host: string, mark: string, text: string): void {
    const label = host.padEnd(this.#labelWidth);
    this.log.info(
      text
        .split(/\r?\n|\r/)
        .map((line) => `${label} ${mark} ${line}`)
        .join('\n'),
    );
  }

  #startProgress(): void {
    this.#stopProgress();
    this.#stageStartedAt = this.#now();
    this.#timer = setInterval(() => {
      if (this.#progress.stage === null) return;
      const elapsed = formatDuration(this.#now() - this.#stageStartedAt);
      this.#info(`… ${this.#progress.stage} · ${progressLine(this.#progress.tally)} · ${elapsed}`);
    }, this.#intervalMs);
    // A progress line must never keep the process alive.
    this.#timer.unref();
  }

  #stopProgress(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #closeGroup(): void {
    this.#stopProgress();
    if (!this.#groupOpen) return;
    this.log.endGroup();
    this.#groupOpen = false;
  }
}

function jobLine(j: JobReport): string {
  const parts = [
    j.error && j.error !== j.result ? `${j.result}: ${j.error}` : j.result,
    plural(j.attempts, 'attempt'),
    formatDuration(j.durationMs),
  ];
  const exit = j.result === 'failure' ? exitText(j) : null;
  if (exit) parts.splice(1, 0, exit);
  return parts.join(' · ');
}

function stageLine(s: StageReport): string {
  const n = (r: JobReport['result']): number => s.jobs.filter((j) => j.result === r).length;
  const tolerated = s.tolerated ? ' (tolerated: can-fail)' : '';
  // A stage stopped by a cancel "fails" without a failed job: say what happened.
  const result = s.result === 'failure' && n('failure') === 0 && n('cancelled') > 0 ? 'cancelled' : s.result;
  const cancelled = n('cancelled') > 0 ? ` · ${n('cancelled')} cancelled` : '';
  return (
    `■ ${s.name}: ${result}${tolerated} · ${n('success')} ok · ${n('failure')} failed · ${n('skipped')} skipped` +
    `${cancelled} · ${formatDuration(s.durationMs)}`
  );
}
