/**
 * Which stages run once a release is decided: pure rules over `when` and the run's result so far.
 * While the release succeeds, `success` and `always` stages run; once a stage failed it, the
 * `failure` and `always` ones; once it was cancelled, the `cancelled` and `always` ones.
 */
import { failedHosts, type RunReport, type RunResult, type StageWhen } from '../report/report.js';

export function runsIn(when: StageWhen, result: RunResult): boolean {
  return when === 'always' || when === result;
}

/** Why a stage did not run: `the release failed at stage "Ship"`, `runs only when the release fails`. */
export function skipReason(when: StageWhen, result: RunResult, failedStage: string | null): string {
  if (when === 'failure') return 'runs only when the release fails';
  if (when === 'cancelled') return 'runs only when the release is cancelled';
  if (result === 'cancelled') return 'the release was cancelled';
  return failedStage ? `the release failed at stage "${failedStage}"` : 'the release failed';
}

/**
 * The run so far, in the env of every job: BW_RESULT (`success` while it succeeds), BW_FAILED_STAGE
 * (the stage that failed the run, or empty), BW_FAILED_HOSTS (hosts whose job failed in any stage so
 * far, space-separated).
 */
export function runEnv(report: Pick<RunReport, 'result' | 'stages'>, failedStage: string | null) {
  return {
    BW_RESULT: report.result,
    BW_FAILED_STAGE: failedStage ?? '',
    BW_FAILED_HOSTS: failedHosts(report.stages).join(' '),
  };
}
