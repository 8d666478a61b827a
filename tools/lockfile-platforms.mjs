#!/usr/bin/env node
/**
 * The npm registry this project is built against does not serve DuckDB's
 * darwin, win32 and arm64 binding packages, so `npm install` leaves them out
 * of package-lock.json and `npm ci` then refuses the lock file. This adds
 * lock entries for every optional platform package of the listed parents,
 * with os/cpu/libc, so `npm ci` skips them on other platforms and a laptop
 * on the public registry installs its own. Run after any `npm install`:
 *   node tools/lockfile-platforms.mjs
 * (test/unit/lockfile.test.ts fails when an entry is missing.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { log } from 'node:console';

const PARENTS = ['node_modules/@duckdb/node-bindings'];

export function missingPlatformEntries(lock, readManifest) {
  const out = [];
  for (const parent of PARENTS) {
    const entry = lock.packages[parent];
    if (!entry) continue;
    const manifest = readManifest(parent);
    for (const [name, version] of Object.entries(manifest.optionalDependencies ?? {})) {
      const key = `node_modules/${name}`;
      if (lock.packages[key]) continue;
      const m = /-(darwin|linux|win32)-(x64|arm64)(-musl)?$/.exec(name);
      if (!m) continue;
      const e = { version, cpu: [m[2]], license: entry.license ?? 'MIT', optional: true, os: [m[1]] };
      if (m[1] === 'linux') e.libc = [m[3] ? 'musl' : 'glibc'];
      out.push([key, e]);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const missing = missingPlatformEntries(lock, (p) => JSON.parse(readFileSync(`${p}/package.json`, 'utf8')));
  for (const [k, e] of missing) lock.packages[k] = e;
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
  log(missing.length ? `added ${missing.map(([k]) => k).join(', ')}` : 'lock file complete');
}
