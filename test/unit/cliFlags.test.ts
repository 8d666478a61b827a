import { describe, expect, it } from 'vitest';
import { UsageError, parseDurationMs, parseIntegerFlag, parseNumberFlag } from '../../src/cli/duration.js';

describe('command-line numbers', () => {
  it('takes plain decimals and whole numbers, and the fallback when the flag is absent', () => {
    expect(parseNumberFlag('0.25', '--bad-ratio', 0)).toBe(0.25);
    expect(parseNumberFlag(undefined, '--bad-ratio', 0.02)).toBe(0.02);
    expect(parseIntegerFlag('7', '--max', 1, 1)).toBe(7);
    expect(parseDurationMs('90s', '--duration')).toBe(90_000);
  });

  it.each(['1e3', '0x10', ' 7 ', '-1', '', 'ten'])('refuses %j where Number() would take it or worse, naming the flag', (text) => {
    expect(() => parseNumberFlag(text, '--rate', 1)).toThrow(UsageError);
    expect(() => parseNumberFlag(text, '--rate', 1)).toThrow(`--rate ${JSON.stringify(text)} is invalid`);
  });

  it('refuses a fraction or a number below the minimum where a whole number is needed', () => {
    expect(() => parseIntegerFlag('2.5', '--max', 1, 1)).toThrow('--max "2.5" is invalid: expected a whole number >= 1');
    expect(() => parseIntegerFlag('0', '--max', 1, 1)).toThrow('--max "0" is invalid: expected a whole number >= 1');
  });
});
