import { CancelledError } from '../errors.js';
import { main } from './main.js';

// GitHub sends SIGINT, then SIGTERM 7.5 s later: the first signal cancels (the run stops starting
// jobs, terminates remote commands, writes its report); a second one exits at once.
const controller = new AbortController();
let signals = 0;
const onSignal = (name: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) process.exit(130);
  process.stderr.write(`\nboerewors: ${name} received, cancelling…\n`);
  controller.abort(new CancelledError(`cancelled by ${name}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  signal: controller.signal,
});
// Explicit exit: a dangling socket or timer must never keep a finished release alive.
process.exit(code);
