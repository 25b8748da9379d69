import type { EngineEvent } from '../engine/report/events.js';
import {
  ANNOTATIONS_PER_LEVEL,
  overflowAnnotation,
  stageAnnotations,
  type Annotation,
} from './github-annotations.js';
import { ProgressTicker, StageProgress, type LogReporterOptions } from './progress.js';
import {
  formatDuration,
  HOST_MARK,
  JOB_MARK,
  jobLine,
  liveNowText,
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
import { logLine, logText } from './log-text.js';
import { backlogNote, OutputBacklog } from './output-backlog.js';

/** The part of `@actions/core` this reporter writes with (tests pass a recording fake). */
export interface GitHubLog {
  info(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  warning(message: string, properties?: { title?: string }): void;
  error(message: string, properties?: { title?: string }): void;
  /** Bytes written but still waiting in the log's pipe (see output-backlog.ts); absent: unknown. */
  pending?(): number;
}

export type GitHubLogOptions = LogReporterOptions;

/**
 * The workflow log of a run: one collapsible group per stage, titled like
 * `Stage 2/3 · Distribute code · 12 hosts · canary web-1`. Output is streamed as it arrives, each
 * line labelled with its host; the label also keeps a host from issuing workflow commands
 * (`::error::…` only counts at the start of a line). After each group: the stage's result line and
 * its annotations, so a collapsed log still reads as a story.
 */
export class GitHubLogReporter {
  readonly #progress = new StageProgress();
  readonly #ticker: ProgressTicker;
  readonly #dryRun: boolean;
  #labelWidth = 0;
  #groupOpen = false;
  readonly #sent = { error: 0, warning: 0 };
  readonly #hidden = { error: 0, warning: 0 };
  readonly #warnings = new Set<string>();
  readonly #backlog: OutputBacklog;

  constructor(
    private readonly log: GitHubLog,
    options: GitHubLogOptions = {},
  ) {
    this.#ticker = new ProgressTicker(this.#progress, (line) => this.#info(line), options);
    this.#dryRun = options.dryRun ?? false;
    this.#backlog = new OutputBacklog(() => this.log.pending?.());
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
        this.#ticker.start();
        return;
      case 'step-start':
        this.#hostLine(e.host, HOST_MARK.step, e.label);
        return;
      case 'output':
        if (this.#backlog.skip(e.host)) return;
        this.#leftOut(e.host);
        this.#hostLine(e.host, HOST_MARK.output, e.line);
        return;
      case 'job-start':
        if (e.attempt > 1) this.#hostLine(e.host, HOST_MARK.attempt, `attempt ${e.attempt}`);
        return;
      case 'job-retry':
        this.#hostLine(e.host, HOST_MARK.retry, retryLine(e));
        return;
      case 'verify-retry':
        this.#hostLine(e.host, HOST_MARK.retry, verifyRetryLine(e));
        return;
      case 'job-end':
        this.#leftOut(e.job.host);
        this.#hostLine(e.job.host, JOB_MARK[e.job.result], jobLine(e.job));
        return;
      case 'wave-end':
        if (showsWave(e.wave, e.total)) this.#info(waveLine(e.wave, e.total));
        return;
      case 'stage-end':
        this.#closeGroup();
        this.#info(stageLine(e.stage));
        for (const a of stageAnnotations(e.stage)) this.#annotate(a);
        return;
      case 'warning': {
        const message = warningText(e);
        if (this.#warnings.has(message)) return;
        this.#warnings.add(message);
        this.#annotate({ level: 'warning', title: 'boerewors', message });
        return;
      }
      case 'info':
        this.#info(e.message);
        return;
      case 'run-end':
        this.close();
        this.#info(`${runFooter(e.report, this.#dryRun)} · ${formatDuration(e.report.durationMs)}`);
        if (liveNowText(e.report)) this.#info(liveNowText(e.report) as string);
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
    this.log[a.level](logText(a.message), { title: logLine(a.title) });
  }

  /** One line of our own; names from the config or a host cannot break it into more. */
  #info(text: string): void {
    this.log.info(logLine(text));
  }

  /** Every physical line starts with the host label: none can be read as a workflow command. */
  #hostLine(host: string, mark: string, text: string): void {
    const label = host.padEnd(this.#labelWidth);
    this.log.info(
      text
        .split(/\r?\n|\r/)
        .map((line) => logLine(`${label} ${mark} ${line}`))
        .join('\n'),
    );
  }

  /** Says how many output lines of `host` were left out while the log was behind, if any. */
  #leftOut(host: string): void {
    for (const [h, n] of this.#backlog.take(host)) this.#hostLine(h, HOST_MARK.output, backlogNote(n));
  }

  #closeGroup(): void {
    this.#ticker.stop();
    if (!this.#groupOpen) return;
    this.log.endGroup();
    this.#groupOpen = false;
  }
}
