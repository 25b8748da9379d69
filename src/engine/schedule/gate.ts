/**
 * The gate after a wave: after the soak, its check runs once on the controller, with the wave in
 * BW_WAVE (1-based) and BW_WAVE_HOSTS (space-separated host names).
 */
import { cancelMessage, sleep } from '../../contract/abort.js';
import { errorMessage } from '../../contract/errors.js';
import { CONTROLLER } from '../../contract/host.js';
import { checkJob, checkText } from '../model/check.js';
import type { Job } from '../model/job.js';
import type { GateReport } from '../report/report.js';
import { runJob, type JobScope } from './run-job.js';
import type { GateSettings } from '../model/stage.js';

export interface Wave {
  /** 1-based. */
  readonly index: number;
  readonly hosts: readonly string[];
}

export async function runGate(
  gate: GateSettings,
  wave: Wave,
  scope: JobScope,
  opts: { soak: boolean } = { soak: true },
): Promise<GateReport> {
  try {
    if (opts.soak && gate.soakMs > 0) await sleep(gate.soakMs, scope.runSignal);
  } catch {
    const error = cancelMessage(scope.runSignal);
    return { result: 'cancelled', durationMs: 0, exitCode: null, error, outputTail: '' };
  }
  let job: Job;
  try {
    job = checkJob(gate.check, CONTROLLER, `gate: ${checkText(gate.check)}`);
  } catch (error) {
    const why = `could not build its job: ${errorMessage(error)}`;
    return { result: 'failure', durationMs: 0, exitCode: null, error: why, outputTail: '' };
  }
  const report = await runJob(job, {
    ...scope,
    // One run, bounded by the gate's timeout: a gate that needs patience says so in its script.
    settings: { retries: 0, retryDelayMs: 0, timeoutMs: gate.timeoutMs, verify: null },
    env: { ...scope.env, BW_WAVE: String(wave.index), BW_WAVE_HOSTS: wave.hosts.join(' ') },
    // The gate is not one of the stage's jobs: progress counts must not see it start.
    emit: (e) => {
      if (e.type !== 'job-start') scope.emit(e);
    },
  });
  const passed = report.result === 'success' || report.result === 'skipped';
  return {
    result: passed ? 'success' : report.result === 'cancelled' ? 'cancelled' : 'failure',
    durationMs: report.durationMs,
    ...(report.startedAtMs !== undefined ? { startedAtMs: report.startedAtMs } : {}),
    exitCode: report.exitCode,
    error: passed ? null : report.error,
    outputTail: report.outputTail,
  };
}
