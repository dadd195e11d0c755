// What `trace init` created, so `trace uninstall` removes exactly that.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InstallManifest {
  /** Repository-relative files that did not exist before init. */
  created: string[];
  hooksDir?: string;
  /** sha256 of each created file as init wrote it: uninstall keeps a file the user has since edited. */
  hashes?: Record<string, string>;
  /** The bytes of each existing file init changed, as they were before (uninstall puts them back when the file is unchanged since). */
  originals?: Record<string, string>;
  /** Set up by a trace command or hook in a clone of a traced repository, not by `trace init`. */
  autoInit?: boolean;
  /** When the first push from an auto-set-up clone said that it attaches attestations. */
  pushNoticeAt?: string;
}

export function readManifest(stateDir: string): InstallManifest {
  try {
    const value = JSON.parse(readFileSync(join(stateDir, 'install.json'), 'utf8')) as Partial<InstallManifest>;
    return {
      created: Array.isArray(value.created) ? value.created.filter((f) => typeof f === 'string') : [],
      ...(value.hooksDir ? { hooksDir: value.hooksDir } : {}),
      hashes: typeof value.hashes === 'object' && value.hashes !== null ? value.hashes : {},
      originals: typeof value.originals === 'object' && value.originals !== null ? value.originals : {},
      ...(value.autoInit === true ? { autoInit: true } : {}),
      ...(typeof value.pushNoticeAt === 'string' ? { pushNoticeAt: value.pushNoticeAt } : {}),
    };
  } catch {
    return { created: [] };
  }
}

export function writeManifest(stateDir: string, manifest: InstallManifest): void {
  manifest.created = [...new Set(manifest.created)];
  writeFileSync(join(stateDir, 'install.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function contentHash(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
