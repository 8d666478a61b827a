import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { prometheusTools } from '../support/prometheus.js';

describe('prometheus tooling', () => {
  it('finds (or installs) runnable prometheus and promtool binaries', async () => {
    const tools = await prometheusTools();
    for (const bin of [tools.prometheus, tools.promtool]) {
      const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
      expect(res.status, `${bin} --version: ${res.stderr}`).toBe(0);
      expect(`${res.stdout}${res.stderr}`).toMatch(/version \d+\.\d+/);
    }
    // The second lookup is served from the cache: the same binaries.
    await expect(prometheusTools()).resolves.toEqual(tools);
  });
});
