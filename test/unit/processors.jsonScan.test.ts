import { describe, expect, it } from 'vitest';
import { scanJson } from '../../src/processors/jsonScan.js';

const scan = (s: string, depth = 64) => scanJson(new TextEncoder().encode(s), depth);

describe('scanJson', () => {
  it('counts depth outside strings only, without recursion', () => {
    expect(scan('{"a":"[[[[[[[[[[[[[[[["}', 3).tooDeep).toBe(false);
    expect(scan('{"a":[[[1]]]}', 3).tooDeep).toBe(true);
    expect(scan('{"a":[[1]]}', 3).tooDeep).toBe(false);
    expect(scan('{"a\\"[[[[":1}', 2).tooDeep).toBe(false);
    expect(scan('['.repeat(100_000), 64).tooDeep).toBe(true);
  });

  it('flags integers of 2^53 and beyond, not safe integers, floats or digits in strings', () => {
    expect(scan('{"a":9007199254740991,"b":-9007199254740991}').unsafeIntegerAt).toBe(-1);
    expect(scan('{"a":9007199254740992}').unsafeIntegerAt).toBe(5);
    expect(scan('{"a":1,"b":-123456789012345678901}').unsafeIntegerAt).toBe(11);
    expect(scan('{"a":1234567890123456789.5,"b":1.2345678901234567890e5}').unsafeIntegerAt).toBe(-1);
    expect(scan('{"a":"123456789012345678901234"}').unsafeIntegerAt).toBe(-1);
  });

  it('notices line breaks, which rule out a verbatim raw line', () => {
    expect(scan('{"a":\n1}').hasLineBreak).toBe(true);
    expect(scan('{"a":"\\n"}').hasLineBreak).toBe(false);
  });
});
