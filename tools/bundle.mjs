#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/cli.js, from tsc) into dist/bin/, what the
 * image and `npm start` run: `node dist/bin/kinesis-lake.js run`.
 *
 * Why: Node resolves, reads and scans ~250 CommonJS files of the AWS SDK,
 * pino and prom-client one by one before the service can make its first
 * call, about a quarter of a second of CPU at every start (docs/performance.md).
 * One file per command (code splitting) keeps what `run` loads to what it
 * uses; each command's code loads when it runs, as with the unbundled CLI.
 *
 * Left out, loaded from node_modules as before: the worker threads' code
 * (dist/processors/worker.js, not bundled: piscina starts it by path), and
 * packages that find files of their own by path (piscina, parquet-wasm and
 * the native DuckDB binding) or that the local stack starts as processes.
 *
 * The bundle sits two folders below the package, like every compiled module,
 * so the paths they resolve from import.meta.url (schemas/, queries/,
 * package.json, dist/processors/worker.js) stay right.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bin`;

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'kinesis-lake': 'dist/cli.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  external: ['piscina', 'parquet-wasm', '@duckdb/*', 'kinesalite', 'dynalite', 'fauxqs', 's3rver'],
  // CommonJS dependencies call require() for Node's own modules; an ES module has none of its own.
  banner: { js: "import { createRequire as __klCreateRequire } from 'node:module'; const require = __klCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
