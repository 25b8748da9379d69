/** The published JSON Schema of the YAML config, generated from the validator's zod schema. */
import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the committed copy lives, relative to the package root. */
export const JSON_SCHEMA_PATH = 'schema/release.schema.json';

/**
 * Draft-07, the dialect editors support best (VS Code's YAML extension, JetBrains). Input types:
 * durations and percentages are strings, as written in the file.
 */
export function generateJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { target: 'draft-07', io: 'input' }) as Record<string, unknown>;
}

/** The file's exact text: two-space JSON with a final newline. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(generateJsonSchema(), null, 2)}\n`;
}
