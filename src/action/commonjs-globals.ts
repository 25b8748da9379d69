/**
 * Imported first by the entrypoint. The bundle is an ES module, where `__dirname` does not exist;
 * ssh2's pure-JS poly1305 (used when its native binding is absent, as in the bundle) reads it.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const globals = globalThis as { __dirname?: string };
globals.__dirname ??= dirname(fileURLToPath(import.meta.url));
