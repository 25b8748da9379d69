import type { Host } from '../../contract/host.js';

export interface JobEnvParts {
  readonly vars: Readonly<Record<string, string>>;
  readonly host: Host;
  readonly stage: string;
  readonly runner: string;
  readonly release: string;
  readonly attempt: number;
  /** More BW_* names from the engine: the run so far (BW_RESULT, …), a gate's wave (BW_WAVE, …). */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The environment every command of a job gets: the vars plus the BW_* names. The BW_*
 * names are set last so a var cannot make a job lie about where it runs.
 */
export function jobEnv(p: JobEnvParts): Record<string, string> {
  return {
    ...p.vars,
    BW_HOST: p.host.name,
    BW_HOST_ADDRESS: p.host.address,
    BW_STAGE: p.stage,
    BW_RUNNER: p.runner,
    BW_RELEASE: p.release,
    BW_ATTEMPT: String(p.attempt),
    ...p.extra,
  };
}
