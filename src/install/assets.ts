// Templates shipped in the package's hooks/ directory.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function assetPath(relative: string): string {
  return fileURLToPath(new URL(`../../hooks/${relative}`, import.meta.url));
}

export function readAsset(relative: string): string {
  return readFileSync(assetPath(relative), 'utf8');
}
