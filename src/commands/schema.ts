// `trace schema [config|predicate]`: the JSON Schema of `.chainloop.yml` or of the attestation's
// predicate, generated from the same zod schemas trace validates with, so it is never out of date.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TraceError } from '../errors.js';
import type { Outcome } from '../program.js';
import { generatedSchemas } from '../schemas.js';

export const SCHEMA_KINDS = { config: 'chainloop-config.schema.json', predicate: 'predicate.schema.json', 'sessions-list': 'sessions-list.schema.json', 'sessions-show': 'sessions-show.schema.json', 'sessions-stats': 'sessions-stats.schema.json', report: 'report.schema.json', server: 'trace-server.schema.json' } as const;

export type SchemaKind = keyof typeof SCHEMA_KINDS;

export function schema(options: { cwd: string; kind?: string; output?: string }): Outcome {
  const kind = options.kind ?? 'config';
  if (!(kind in SCHEMA_KINDS)) {
    throw new TraceError('BAD_ARGUMENT', `there is no schema named ${JSON.stringify(kind)}`, { hint: `use one of: ${Object.keys(SCHEMA_KINDS).join(', ')}` });
  }
  const value = generatedSchemas()[SCHEMA_KINDS[kind as SchemaKind]]!;
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (options.output) {
    const file = resolve(options.cwd, options.output);
    writeFileSync(file, text);
    return { json: { schema: kind, output: file }, text: `wrote the ${kind} schema to ${file}` };
  }
  return { json: value, text };
}
