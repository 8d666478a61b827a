#!/usr/bin/env node
/**
 * Runs npm scripts side by side and fails if any fails:
 *   node tools/run-parallel.mjs typecheck lint build
 * Each script's output is printed whole when it ends, so logs do not
 * interleave. `npm test` uses it for the checks that do not depend on each
 * other (on 2 cores they overlap enough to save about ten seconds).
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { error } from 'node:console';
import process from 'node:process';

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
  error('usage: node tools/run-parallel.mjs <npm script> [<npm script> ...]');
  process.exit(2);
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const results = await Promise.all(
  scripts.map(
    (name) =>
      new Promise((resolve) => {
        const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
        const out = [];
        child.stdout.on('data', (d) => out.push(d));
        child.stderr.on('data', (d) => out.push(d));
        child.on('error', (err) => resolve({ name, code: 1, output: String(err) }));
        child.on('close', (code, signal) => {
          const output = Buffer.concat(out).toString();
          process.stdout.write(`\n> ${name}: ${code === 0 ? 'ok' : `failed (${signal ?? `exit ${code}`})`}\n${output}`);
          resolve({ name, code: code ?? 1 });
        });
      }),
  ),
);
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length > 0) {
  error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
