/** The action's entrypoint (`dist/index.js` is this, bundled). */
import { run } from './main.js';

await run();
