// The JSON Schemas that are generated from zod schemas, by file name in schemas/.
import { configJsonSchema } from './config.js';

export function generatedSchemas(): Record<string, object> {
  return {
    'chainloop-config.schema.json': {
      $id: 'urn:chainloop-trace:schema:config:v1',
      title: '.chainloop.yml (trace)',
      ...configJsonSchema(),
    },
  };
}
