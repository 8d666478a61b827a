/**
 * One pass over a payload's bytes, before JSON.parse, for the facts that
 * JSON.parse hides or gets wrong: nesting depth (checked without recursion,
 * so a 10,000-deep payload costs a loop, not a stack), integers JSON.parse
 * would round (beyond 2^53), and line breaks (which rule out embedding the
 * payload verbatim in a raw JSONL line). Structural characters are ASCII, so
 * scanning UTF-8 bytes is exact.
 */
export interface JsonScan {
  /** Nesting went beyond the limit; the scan stopped there. */
  tooDeep: boolean;
  /** Byte offset of the first integer token whose magnitude is 2^53 or more; -1 when none. */
  unsafeIntegerAt: number;
  hasLineBreak: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
// 2^53 has 16 digits; anything shorter is safe without a closer look.
const SAFE_DIGITS = 15;

export function scanJson(bytes: Uint8Array, maxDepth: number): JsonScan {
  let depth = 0;
  let unsafeIntegerAt = -1;
  let hasLineBreak = false;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      i++;
      while (i < n) {
        const c = bytes[i]!;
        if (c === BACKSLASH) i += 2;
        else if (c === QUOTE) break;
        else {
          if (c === 0x0a || c === 0x0d) hasLineBreak = true;
          i++;
        }
      }
      i++;
    } else if (b === 0x5b || b === 0x7b) {
      if (++depth > maxDepth) return { tooDeep: true, unsafeIntegerAt, hasLineBreak };
      i++;
    } else if (b === 0x5d || b === 0x7d) {
      depth--;
      i++;
    } else if (b === MINUS || (b >= ZERO && b <= NINE)) {
      const start = i;
      if (b === MINUS) i++;
      const digitsStart = i;
      while (i < n && bytes[i]! >= ZERO && bytes[i]! <= NINE) i++;
      const digits = i - digitsStart;
      const next = i < n ? bytes[i]! : 0;
      const isInteger = next !== DOT && next !== LOWER_E && next !== UPPER_E;
      if (isInteger && digits > SAFE_DIGITS && unsafeIntegerAt < 0) {
        let text = '';
        for (let k = digitsStart; k < i; k++) text += String.fromCharCode(bytes[k]!);
        if (!Number.isSafeInteger(Number(text))) unsafeIntegerAt = start;
      }
      // Fraction and exponent digits cannot be rounded into a different integer.
      while (i < n) {
        const c = bytes[i]!;
        if ((c >= ZERO && c <= NINE) || c === DOT || c === LOWER_E || c === UPPER_E || c === MINUS || c === 0x2b) i++;
        else break;
      }
    } else {
      if (b === 0x0a || b === 0x0d) hasLineBreak = true;
      i++;
    }
  }
  return { tooDeep: false, unsafeIntegerAt, hasLineBreak };
}
