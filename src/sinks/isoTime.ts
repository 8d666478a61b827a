/**
 * `new Date(ms).toISOString()` for the raw zone's arrival times, cached per
 * second: records of one GetRecords batch share their second, and building
 * a Date and its ISO text per record was a visible share of the hot path.
 * The text is identical to toISOString's, which also throws for the same
 * (invalid) inputs.
 */
let cachedSecond = NaN;
// "YYYY-MM-DDTHH:MM:SS." of cachedSecond (longer for years past 9999).
let cachedHead = '';

const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0') + 'Z');

const MAX_TIME = 8.64e15;

export function isoMillis(time: number): string {
  // Outside Date's range (or NaN): let Date throw its own RangeError.
  if (!(Math.abs(time) <= MAX_TIME)) return new Date(time).toISOString();
  // Date truncates fractional milliseconds toward zero.
  const ms = Math.trunc(time);
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const full = new Date(second * 1000).toISOString();
    cachedHead = full.slice(0, full.length - 4);
    cachedSecond = second;
  }
  return cachedHead + MILLIS[ms - second * 1000]!;
}
