import type { GeneratedKey } from './sshd-keys.js';
import type { SshdFleet, SshdFleetOptions } from './sshd.js';

export interface FallbackFleetOptions extends SshdFleetOptions {
  dir: string;
  scratchDir: string;
  client: GeneratedKey;
  authorizedKeysPath: string;
}

export async function startFallbackFleet(_opts: FallbackFleetOptions): Promise<SshdFleet> {
  throw new Error('ssh2 fallback not implemented yet');
}
