import type { Stage, StageContext } from './stage.js';

export interface RunContext extends StageContext {
  readonly signal: AbortSignal;
}

export interface RunnerOptions {
  name: string;
  description?: string;
  /** Stages in order; a function is called lazily, so later stages can depend on earlier reports. */
  stages?: readonly Stage[] | ((ctx: RunContext) => Iterable<Stage> | AsyncIterable<Stage>);
  /** Runs before the first stage; throwing fails the run. */
  setup?: (ctx: RunContext) => Promise<void> | void;
  /** Always runs at the end, whatever happened. */
  cleanup?: (ctx: RunContext) => Promise<void> | void;
  /** Number of stages when known up front (used for `Stage 2/3` titles). */
  stageCount?: number;
}

/** A named release procedure: yields stages in order. Subclass and override `stages`, or pass options. */
export class Runner {
  readonly name: string;
  readonly description: string;
  readonly #opts: RunnerOptions;

  constructor(opts: RunnerOptions) {
    this.name = opts.name;
    this.description = opts.description ?? '';
    this.#opts = opts;
  }

  stages(ctx: RunContext): Iterable<Stage> | AsyncIterable<Stage> {
    const s = this.#opts.stages;
    if (!s) return [];
    return typeof s === 'function' ? s(ctx) : s;
  }

  /** Known stage count, or null when stages are produced lazily. */
  get stageCount(): number | null {
    const s = this.#opts.stages;
    if (this.#opts.stageCount !== undefined) return this.#opts.stageCount;
    return Array.isArray(s) ? s.length : null;
  }

  async setup(ctx: RunContext): Promise<void> {
    await this.#opts.setup?.(ctx);
  }

  async cleanup(ctx: RunContext): Promise<void> {
    await this.#opts.cleanup?.(ctx);
  }
}
