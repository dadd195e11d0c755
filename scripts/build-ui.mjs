#!/usr/bin/env node
// Bundles the `trace ui` pages (src/ui/web) into dist/ui: index.html and hashed assets under
// dist/ui/assets/ (the server serves /assets/* from there and index.html for every other page).
// Minified, no source maps, nothing fetched at run time, no inline script or style (the CSP forbids them).
// The dashboard's chart library is a chunk of its own, loaded when the dashboard opens.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');
// dist/ui also holds the compiled server (tsc): only the web build's own files are replaced.
rmSync(join(out, 'assets'), { recursive: true, force: true });
rmSync(join(out, 'index.html'), { force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(root, 'src', 'ui', 'web', 'main.tsx') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome115', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, o]) => o.entryPoint !== undefined && o.entryPoint.endsWith('main.tsx'));
if (!entry) throw new Error('build-ui: no entry output');
const script = basename(entry[0]);
const css = entry[1].cssBundle ? basename(entry[1].cssBundle) : undefined;
const icon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#3b5bdb"/><path d="M4 5h8M8 5v7" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>\n';
writeFileSync(join(out, 'assets', 'icon.svg'), icon);
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>trace</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
${css ? `<link rel="stylesheet" href="/assets/${css}">\n` : ''}<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><noscript>trace ui needs JavaScript.</noscript></div>
</body>
</html>
`,
);
