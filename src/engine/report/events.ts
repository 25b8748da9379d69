import type { JobReport, RunReport, StageReport, StageWhen, WaveReport } from './report.js';
import type { Stream } from '../../contract/transport.js';
import type { RunPart } from './run-part.js';

/** Everything the engine tells the outside world. Reporters consume these; the engine never prints. */
export type EngineEvent =
  | {
      type: 'run-start';
      runner: string;
      release: string;
      startedAt: string;
      stageCount: number | null;
      /** Set when this run is one part of a release spread over several machines. */
      part?: RunPart;
    }
  | {
      type: 'stage-start';
      stage: string;
      /** 1-based. */
      index: number;
      /** Known total when the runner declares it, else null. */
      total: number | null;
      hosts: string[];
      canary: string | null;
      /** When the stage runs: `success`, or one of the stages on the way out. */
      when: StageWhen;
      /** The stage has a gate (it runs after each wave). */
      gate: boolean;
      /** Sizes of the waves the jobs run in, the canary's first. */
      waves: number[];
    }
  | { type: 'job-start'; stage: string; host: string; attempt: number }
  | { type: 'step-start'; stage: string; host: string; label: string }
  | { type: 'output'; stage: string; host: string; stream: Stream; line: string }
  | { type: 'job-retry'; stage: string; host: string; attempt: number; error: string; delayMs: number }
  | {
      type: 'verify-retry';
      stage: string;
      host: string;
      /** The verify attempt that did not pass. */
      attempt: number;
      error: string;
      delayMs: number;
    }
  | { type: 'job-end'; stage: string; job: JobReport }
  /** A wave's jobs ended, and the gate after it (when the stage has one) ran. */
  | { type: 'wave-end'; stage: string; wave: WaveReport; total: number }
  | { type: 'stage-end'; stage: StageReport; index: number; total: number | null }
  | { type: 'warning'; message: string; stage?: string; host?: string }
  /** A line for the log from around the run rather than from a job: the deploy lock taken, released. */
  | { type: 'info'; message: string }
  | { type: 'run-end'; report: RunReport };

export type EventListener = (event: EngineEvent) => void;
