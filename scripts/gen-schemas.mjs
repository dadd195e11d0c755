#!/usr/bin/env node
// Writes the JSON Schemas generated from the zod schemas into schemas/ (`npm run schemas`).
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { generatedSchemas } = await import(join(root, 'dist', 'schemas.js'));
for (const [file, schema] of Object.entries(generatedSchemas())) {
  writeFileSync(join(root, 'schemas', file), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schemas/${file}`);
}
