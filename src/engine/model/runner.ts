import type { Host } from '../../contract/host.js';
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
  /**
   * Every host the stages name, in order, when known up front: a release spread over shards then
   * gives each host one shard for all stages (policy/sharding.ts). Default: each stage's own hosts
   * decide, which keeps a host in one shard only while the stages name the same hosts.
   */
  hosts?: readonly Host[];
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

  /** Every host the stages name, when known up front (see RunnerOptions.hosts). */
  get hosts(): readonly Host[] | undefined {
    return this.#opts.hosts;
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
