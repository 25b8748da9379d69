import type { RunResult } from '../engine/report.js';

/** Every output of `action.yml`, in one place. */
export const Outputs = {
  Result: 'result',
  FailedHosts: 'failed-hosts',
  Report: 'report',
  HtmlReport: 'html-report',
  LockToken: 'lock-token',
} as const;

export interface ActionOutputs {
  result: RunResult;
  failedHosts: readonly string[];
  /** Path of the JSON report; '' when the release never started. */
  reportPath: string;
  /** Path of the HTML report, beside the JSON one; '' when there is none. */
  htmlReportPath?: string;
}

export type OutputWriter = (name: string, value: string) => void;

export function writeOutputs(set: OutputWriter, outputs: ActionOutputs): void {
  set(Outputs.Result, outputs.result);
  set(Outputs.FailedHosts, JSON.stringify(outputs.failedHosts));
  set(Outputs.Report, outputs.reportPath);
  set(Outputs.HtmlReport, outputs.htmlReportPath ?? '');
}
