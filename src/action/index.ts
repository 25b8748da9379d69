/** The action's entrypoint (`dist/index.js` is this, bundled). */
import './commonjs-globals.js';
import { run } from './main.js';

await run();
