// The JSON Schemas that are generated from zod schemas, by file name in schemas/.
import { configJsonSchema } from './config.js';
import { PREDICATE_TYPE, predicateJsonSchema } from './core/predicate.js';

export function generatedSchemas(): Record<string, object> {
  return {
    'chainloop-config.schema.json': {
      $id: 'urn:chainloop-trace:schema:config:v1',
      title: '.chainloop.yml (trace)',
      ...configJsonSchema(),
    },
    'predicate.schema.json': {
      $id: PREDICATE_TYPE,
      title: 'trace AI line attribution predicate (in-toto predicateType ' + PREDICATE_TYPE + ')',
      ...predicateJsonSchema(),
    },
  };
}
