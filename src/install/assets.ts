// Files shipped with the package next to dist/: the hook templates in hooks/, the schemas in schemas/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A path inside the installed package, e.g. `hooks/git/hook.sh` or `schemas/predicate.schema.json`. */
export function packagePath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** A template of hooks/. */
export function readAsset(relative: string): string {
  return readFileSync(packagePath(`hooks/${relative}`), 'utf8');
}
