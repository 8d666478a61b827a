/**
 * ISO-8601 date-times with an explicit offset ('Z', '+02:00', '+0200',
 * '-05') to UTC epoch milliseconds. A time without an offset is rejected:
 * which zone the producer meant cannot be known, and guessing would put
 * rows in the wrong hour partition. Fractions beyond milliseconds are
 * truncated. Hand-written instead of ajv-formats' date-time (the hot path's
 * biggest cost) and stricter than Date.parse (which accepts many shapes).
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Epoch ms, or undefined when the text is not an ISO-8601 date-time with an offset. */
export function parseIsoTimestamp(text: string): number | undefined {
  const fast = parseCommonShape(text);
  return fast === NOT_COMMON ? parseWithRegex(text) : fast;
}

const NOT_COMMON = -Infinity;

/** Two ASCII digits at i as a number, or -1. */
function two(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48;
  const b = text.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The shape producers send almost always, 'YYYY-MM-DDTHH:MM:SS[.fff]' then
 * 'Z' or '±HH:MM', read without a regex (the regex was the hot path's
 * single biggest step). Any other text returns NOT_COMMON and goes to the
 * regex, so both paths accept and reject exactly the same texts.
 */
function parseCommonShape(text: string): number | undefined {
  const n = text.length;
  if (n < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return NOT_COMMON;
  const y1 = two(text, 0);
  const y2 = two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return NOT_COMMON;
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    i++;
    const start = i;
    while (i < n && i - start < 10) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (i - start < 3) ms += d * (i - start === 0 ? 100 : i - start === 1 ? 10 : 1);
      i++;
    }
    const digits = i - start;
    if (digits < 1 || digits > 9) return NOT_COMMON;
  }
  let offsetMinutes = 0;
  const c = text.charCodeAt(i);
  if (c === 90 && i + 1 === n) {
    // 'Z': UTC, offset 0.
  } else if ((c === 43 || c === 45) && i + 6 === n && text.charCodeAt(i + 3) === 58) {
    const oh = two(text, i + 1);
    const om = two(text, i + 4);
    if (oh < 0 || om < 0) return NOT_COMMON;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (c === 45 ? -1 : 1) * (oh * 60 + om);
  } else return NOT_COMMON;
  return toEpochMs(y1 * 100 + y2, month, day, hour, minute, second, ms, offsetMinutes);
}

function toEpochMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, offsetMinutes: number): number | undefined {
  if (month < 1 || month > 12 || day < 1) return undefined;
  const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > dim || hour > 23 || minute > 59 || second > 59) return undefined;
  // Date.UTC reads years 0-99 as 1900-1999: those are set on a leap year's date instead (day checked above).
  const utc = year < 100 ? new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms)).setUTCFullYear(year) : Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return utc - offsetMinutes * 60_000;
}

function parseWithRegex(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    // Checked after the date, as the regex path always did: either way the answer is undefined.
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return toEpochMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), second, ms, offsetMinutes);
}
