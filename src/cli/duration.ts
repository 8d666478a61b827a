/** Parses "90s", "2m", "500ms", "1h" or a bare number of seconds into milliseconds. */
export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(text)} is invalid: expected a duration such as 60s, 2m or 500ms`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

/** A plain decimal number (no exponent, hex, sign or spaces, which Number() would take) of at least `min`. */
export function parseNumberFlag(text: string | undefined, flag: string, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const n = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${flag} ${JSON.stringify(text)} is invalid: expected a number >= ${min}`);
  return n;
}

/** A whole number of at least `min`, written as digits only. */
export function parseIntegerFlag(text: string | undefined, flag: string, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} ${JSON.stringify(text)} is invalid: expected a whole number >= ${min}`);
  return n;
}

/** A command-line mistake: exit status 2 with one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}
