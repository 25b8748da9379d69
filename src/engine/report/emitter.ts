import type { EngineEvent, EventListener } from './events.js';

/**
 * Wraps the caller's listener so that a throwing reporter cannot break the run: the release on
 * the hosts matters more than a log line. The error is dropped, not re-emitted, because the only
 * place to report it is the listener that just failed.
 */
export function safeEmitter(listener: EventListener | undefined): EventListener {
  if (!listener) return () => {};
  return (event: EngineEvent) => {
    try {
      listener(event);
    } catch {
      // deliberately ignored, see above
    }
  };
}
