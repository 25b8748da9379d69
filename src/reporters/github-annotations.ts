import type { JobReport, StageReport } from '../engine/report/report.js';
import { stripControl, truncateText } from './github-escape.js';
import { errorAtStep, exitText, plural, toleratedNote } from './vocabulary.js';

export interface Annotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
}

/** Output lines quoted in an annotation: enough to see the error, short enough to read in the list. */
const TAIL_LINES = 5;

/**
 * The annotations for a finished stage: an error per failed host (and for a failed gate) when the
 * stage failed the run, a warning per failed host when the failure was tolerated (`can-fail`,
 * within `max-failures`, or a stage on the way out).
 */
export function stageAnnotations(stage: StageReport): Annotation[] {
  const fatal = stage.result === 'failure' && !stage.tolerated;
  const why = toleratedNote(stage) ?? 'tolerated: within max-failures';
  const level = fatal ? 'error' : 'warning';
  const title = (what: string): string =>
    fatal ? `${what} failed · ${stage.name}` : `${what} failed · ${stage.name} (${why})`;
  const hosts = stage.jobs
    .filter((j) => j.result === 'failure')
    .map((j): Annotation => ({ level, title: title(j.host), message: failureMessage(j) }));
  const gates = (stage.waves ?? [])
    .filter((w) => w.gate?.result === 'failure')
    .map((w): Annotation => {
      const g = w.gate as NonNullable<typeof w.gate>;
      const message = failureMessage({ error: g.error, exitCode: g.exitCode, outputTail: g.outputTail });
      return { level, title: title(`gate after wave ${w.index}`), message };
    });
  return [...hosts, ...gates];
}

function failureMessage(
  j: Pick<JobReport, 'error' | 'exitCode' | 'outputTail' | 'step'> & { attempts?: number },
): string {
  const head = [
    errorAtStep(j) ?? 'failed',
    exitText(j),
    j.attempts === undefined ? null : plural(j.attempts, 'attempt'),
  ].filter(Boolean);
  const tail = stripControl(j.outputTail).replace(/\n+$/, '').split('\n').slice(-TAIL_LINES).filter(Boolean);
  const lines = [truncateText(head.join(' · '), 500), ...tail.map((l) => `│ ${truncateText(l, 300)}`)];
  return lines.join('\n');
}

/**
 * GitHub shows at most 10 error and 10 warning annotations per step: the reporter sends that many
 * and then one that says how many more there were.
 */
export const ANNOTATIONS_PER_LEVEL = 10;

export function overflowAnnotation(level: Annotation['level'], hidden: number): Annotation {
  return {
    level,
    title: `${plural(hidden, 'more host')} ${level === 'error' ? 'failed' : 'with tolerated failures'}`,
    message:
      'GitHub shows 10 annotations of a kind per step; every host is in the job summary and the JSON report.',
  };
}
