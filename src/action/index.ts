/** The action's entrypoint (`dist/index.js` is this, bundled). */
import './commonjs-globals.js';
import { run } from './main.js';

await run();
// run() leaves the process to end on its own. Should a leaked socket or timer keep it alive, end it
// anyway (with the exit code run() set) rather than hold the workflow job until its timeout.
setTimeout(() => {
  process.stderr.write('boerewors: still running 10 s after the release ended; exiting\n');
  process.exit();
}, 10_000).unref();
