/**
 * What a job did to its host's live release, as the host said it: a command built with
 * `reportsRelease` (the `release: switch`, `rollback` and `undo` steps) prints one line
 * `bw-release: ACTION BEFORE AFTER` (`-` for no release) once it knows; the engine keeps that line
 * out of the log and puts it in the job's report (`JobReport.release`). docs/releases.md shows it.
 */
import { releaseNameProblem } from '../../contract/release-id.js';

/** The release `current` pointed at before the step and after it; equal when nothing moved. */
export interface ReleaseMove {
  readonly action: 'switch' | 'rollback' | 'undo';
  /** null: `current` pointed at no release. */
  readonly before: string | null;
  readonly after: string | null;
}

const PREFIX = 'bw-release:';
const LINE = /^bw-release: (switch|rollback|undo) (\S{1,255}) (\S{1,255})$/;

/**
 * The move a `bw-release:` line states; null for a line that is not one (ordinary output); an
 * error for a line that starts `bw-release:` but is not `ACTION BEFORE AFTER` with release ids
 * (or `-`, `releaseNameProblem`): a host's answer is data, checked like any other (it names directories in the report).
 */
export function parseReleaseMove(line: string): ReleaseMove | { readonly problem: string } | null {
  if (!line.startsWith(PREFIX)) return null;
  const m = LINE.exec(line.trimEnd());
  const ids = m ? [m[2] as string, m[3] as string] : [];
  if (!m || ids.some((s) => s !== '-' && releaseNameProblem(s) !== undefined)) {
    const shown = line.length > 200 ? `${line.slice(0, 199)}…` : line;
    return {
      problem: `printed a malformed ${PREFIX} line (not "ACTION BEFORE AFTER" with release directory names): ${JSON.stringify(shown)}`,
    };
  }
  const id = (s: string): string | null => (s === '-' ? null : s);
  return { action: m[1] as ReleaseMove['action'], before: id(ids[0] as string), after: id(ids[1] as string) };
}

/** Two moves of one job, in order, as one: where it started, where it ended, the last step's action. */
export function joinMoves(first: ReleaseMove | null, next: ReleaseMove): ReleaseMove {
  return first ? { action: next.action, before: first.before, after: next.after } : next;
}
