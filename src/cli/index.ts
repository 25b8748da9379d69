import { Cancellation } from '../pipeline/cancellation.js';
import { main } from './main.js';

// Ctrl-C (or SIGTERM) cancels: the run stops starting jobs, terminates running commands, and writes
// its report. A second signal only stops waiting for those commands: the report is still written.
let signals = 0;
const cancellation = new Cancellation();
const onSignal = (name: NodeJS.Signals): void => {
  signals += 1;
  process.stderr.write(
    signals === 1
      ? `\nboerewors: ${name} received, cancelling… (again: stop waiting for running commands)\n`
      : `\nboerewors: ${name} again: not waiting for running commands\n`,
  );
  cancellation.cancel(`cancelled by ${name}`);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  cancellation,
});
// Explicit exit: a dangling socket or timer must never keep a finished release alive.
process.exit(code);
