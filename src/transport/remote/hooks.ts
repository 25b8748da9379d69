import type { OutputRedactor } from '../line-splitter.js';

/** How the SSH transport talks back: it never prints; the CLI/action turn these into log lines. */
export interface SshHooks {
  /** Security-relevant notices: `host-key-checking: off`, a host trusted on first use. */
  onWarning?(message: string): void;
  /** Connection life cycle (connect, reconnect, lowered channel limit). Never contains secrets. */
  onDebug?(message: string): void;
  /** Removes secrets from command output before it is split into lines (see LineSplitter). */
  redactor?: OutputRedactor;
}
