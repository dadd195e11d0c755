import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedSchemas } from '../../src/schemas.js';
import { PACKAGE_ROOT } from '../support/repo.js';

describe('schemas/', () => {
  for (const [file, schema] of Object.entries(generatedSchemas())) {
    it(`${file} is what the zod schema generates (run \`npm run schemas\` after changing it)`, () => {
      expect(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', file), 'utf8'))).toEqual(schema);
    });
  }
});
