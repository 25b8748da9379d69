#!/usr/bin/env node
// Writes schema/release.schema.json from the config validator's zod schema (run `npm run schema`,
// which builds lib/ first). `--check` only compares and exits 1 when the committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA_PATH, renderJsonSchema } from '../lib/config/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, JSON_SCHEMA_PATH);
const text = renderJsonSchema();

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== text) {
    console.error(`${JSON_SCHEMA_PATH} is stale: run npm run schema`);
    process.exit(1);
  }
  console.log(`${JSON_SCHEMA_PATH} is current`);
} else {
  await writeFile(target, text);
  console.log(`wrote ${JSON_SCHEMA_PATH}`);
}
