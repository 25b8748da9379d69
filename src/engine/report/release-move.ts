/**
 * What a job did to its host's live release, as the host said it: a command built with
 * `reportsRelease` (the `release: switch`, `rollback` and `undo` steps) prints one line
 * `bw-release: ACTION BEFORE AFTER` (`-` for no release) once it knows; the engine keeps that line
 * out of the log and puts it in the job's report (`JobReport.release`). docs/releases.md shows it.
 */

/** The release `current` pointed at before the step and after it; equal when nothing moved. */
export interface ReleaseMove {
  readonly action: 'switch' | 'rollback' | 'undo';
  /** null: `current` pointed at no release. */
  readonly before: string | null;
  readonly after: string | null;
}

const LINE = /^bw-release: (switch|rollback|undo) ([A-Za-z0-9._-]+) ([A-Za-z0-9._-]+)$/;

/** The move a `bw-release:` line states, or null for any other line. */
export function parseReleaseMove(line: string): ReleaseMove | null {
  const m = LINE.exec(line.trimEnd());
  if (!m) return null;
  const id = (s: string): string | null => (s === '-' ? null : s);
  return { action: m[1] as ReleaseMove['action'], before: id(m[2] as string), after: id(m[3] as string) };
}

/** Two moves of one job, in order, as one: where it started, where it ended, the last step's action. */
export function joinMoves(first: ReleaseMove | null, next: ReleaseMove): ReleaseMove {
  return first ? { action: next.action, before: first.before, after: next.after } : next;
}
