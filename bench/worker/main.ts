/**
 * Worker process entry: receives one task over IPC, runs our side of it, replies, and then lets the
 * process exit on its own (the parent notes it when connections or timers keep it alive).
 */
import { installHandshakeProbe } from './handshake-probe.js';
import type { WorkerReply, WorkerTask } from './protocol.js';
import { runTask } from './tasks.js';

const probe = installHandshakeProbe();

process.once('message', (task: WorkerTask) => {
  runTask(task, probe).then(
    (result) => reply({ ok: true, result }),
    (err: unknown) =>
      reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});

function reply(message: WorkerReply): void {
  process.send?.(message, () => process.disconnect());
}
