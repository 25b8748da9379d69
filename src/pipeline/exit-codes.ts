/** The process exit codes of the CLI and the action, and what decides them. */
import type { RunReport } from '../engine/report/report.js';
import { BoereworsError } from '../contract/errors.js';

export const EXIT = { success: 0, failure: 1, usage: 2, cancelled: 130 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** 0 success, 130 cancelled, 1 any other failure. */
export function exitCodeOf(report: Pick<RunReport, 'result'>): ExitCode {
  if (report.result === 'success') return EXIT.success;
  return report.result === 'cancelled' ? EXIT.cancelled : EXIT.failure;
}

/** For an error before anything ran: 2 for bad usage or config (nothing ran), 130 for a cancel, else 1. */
export function exitCodeOfError(error: unknown): ExitCode {
  if (error instanceof BoereworsError && error.kind === 'cancelled') return EXIT.cancelled;
  return isUsageOrConfig(error) ? EXIT.usage : EXIT.failure;
}

/** Bad flags, inputs or config: the user's to fix, and nothing ran. */
export function isUsageOrConfig(error: unknown): error is BoereworsError {
  return error instanceof BoereworsError && (error.kind === 'usage' || error.kind === 'config');
}
