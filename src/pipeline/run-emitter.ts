import type { EngineEvent, EventListener } from '../engine/report/events.js';
import type { PartialReport } from '../reporters/partial-report.js';
import { warningText } from '../reporters/vocabulary.js';
import type { Redactor } from './secrets.js';

export interface RunEmitter {
  /** Redacts an event, records it (warnings, the partial report) and hands it to the front end. */
  readonly emit: EventListener;
  /** Hands over what is still held (a run that ended before its `run-start`). */
  flush(): void;
}

/**
 * The one listener of a run. In a dry run, events sent before `run-start` (the lock notice, a
 * short-secret warning) are held and handed over just after it, so the header saying `DRY RUN` is
 * the first line of the output. A real run hands everything over at once: waiting for the deploy
 * lock is news the user needs while it happens.
 */
export function runEmitter(
  redactor: Redactor,
  partial: PartialReport,
  warnings: string[],
  onEvent: EventListener,
  dryRun: boolean,
): RunEmitter {
  const deliver: EventListener = (e) => {
    const redacted = redactor.event(e);
    if (redacted.type === 'warning') warnings.push(warningText(redacted));
    partial.onEvent(redacted);
    onEvent(redacted);
  };
  let held: EngineEvent[] | undefined = dryRun ? [] : undefined;
  const flush = (): void => {
    const events = held ?? [];
    held = undefined;
    for (const e of events) deliver(e);
  };
  const emit: EventListener = (e) => {
    if (!held) return deliver(e);
    if (e.type !== 'run-start') return void held.push(e);
    deliver(e);
    flush();
  };
  return { emit, flush };
}
