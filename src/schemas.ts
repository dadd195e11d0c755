// The JSON Schemas that are generated from zod schemas, by file name in schemas/.
import { configJsonSchema } from './config.js';
import { PREDICATE_TYPE, predicateJsonSchema } from './core/predicate.js';
import { reportJsonSchema } from './report/schema.js';
import { serverConfigJsonSchema } from './server/config.js';
import { sessionsJsonSchemas } from './sessions/schema.js';

export function generatedSchemas(): Record<string, object> {
  const sessions = sessionsJsonSchemas();
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
    'trace-server.schema.json': { $id: 'urn:chainloop-trace:schema:trace-server:v1', title: 'trace-server.yml (trace server)', ...serverConfigJsonSchema() },
    'sessions-list.schema.json': { $id: 'urn:chainloop-trace:schema:sessions-list:v1', title: 'trace sessions --json', ...sessions.list },
    'sessions-show.schema.json': { $id: 'urn:chainloop-trace:schema:sessions-show:v1', title: 'trace sessions show --json', ...sessions.show },
    'sessions-stats.schema.json': { $id: 'urn:chainloop-trace:schema:sessions-stats:v1', title: 'trace sessions stats --json', ...sessions.stats },
    'report.schema.json': { $id: 'urn:chainloop-trace:schema:report:v1', title: 'trace report --format json', ...reportJsonSchema() },
  };
}
