/**
 * The deploy lock's line in a run's report. The pipeline writes it (src/pipeline/lock/), the
 * engine's RunReport carries it and the reporters read it: the contract is the one folder all three
 * import.
 */
/**
 * What became of the run's deploy lock: `acquired` (and released at the end), `reentered` (a
 * nested run given the holder's BW_LOCK_TOKEN), `taken-over` (a stale lock: its holder is named),
 * `refused` (held by another run: nothing ran), `failed` (the lock host could not be asked: nothing
 * ran), `planned` (a dry run: where it would be taken).
 */
export interface LockReport {
  name: string;
  /** The lock host's name. */
  host: string;
  state: 'acquired' | 'reentered' | 'taken-over' | 'refused' | 'failed' | 'planned';
  /** The holder that refused us, or whose stale lock we took over. */
  heldBy?: string;
  /** When that holder took the lock (ISO-8601), as it wrote it. */
  since?: string;
  /** That holder's run URL, when it ran in GitHub Actions. */
  runUrl?: string;
}
