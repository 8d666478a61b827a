import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/options.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const ciRun = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration variable with its default', () => {
    for (const o of OPTIONS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${o.env}\` |`));
      expect(row, o.env).toBeDefined();
      if (o.defaultText !== undefined) expect(row).toContain(o.defaultText);
      else expect(row).toContain('**required**');
    }
  });

  it('shows the two commands, and CI runs exactly the test command', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
    expect(ciRun).toMatch(/set -euo pipefail\nnpm ci && npm test\n/);
  });
});
