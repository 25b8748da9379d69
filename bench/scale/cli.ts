/**
 * The CLI, compiled with the bench from the current sources: the scale case times exactly what a
 * user runs (`boerewors run …`), with the node flags of its shebang, without needing `npm run build`.
 */
import '../../src/cli/index.js';
