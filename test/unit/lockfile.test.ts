import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM tool without types
import { missingPlatformEntries } from '../../tools/lockfile-platforms.mjs';

describe('package-lock.json', () => {
  it('lists every optional platform package, so `npm ci` accepts it (run node tools/lockfile-platforms.mjs after npm install)', () => {
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, unknown> };
    const read = (p: string): unknown => JSON.parse(readFileSync(new URL(`../../${p}/package.json`, import.meta.url), 'utf8'));
    const missing = (missingPlatformEntries as (l: unknown, r: (p: string) => unknown) => [string, unknown][])(lock, read);
    expect(missing.map(([k]) => k)).toEqual([]);
  });
});
