/**
 * PII tokenization: listed top-level fields are replaced by an HMAC-SHA256
 * token keyed by a secret, so joins on user_id still work in the cleansed
 * zone while the clear value never leaves the restricted zones (raw, DLQ
 * payload). Tokens are 'tok_' + the first 128 bits of the MAC in hex:
 * collision-free in practice, and the prefix tells analysts what they see.
 */
import { createHmac } from 'node:crypto';
import { ConfigError } from '../errors.js';

export const TOKEN_PREFIX = 'tok_';

// User ids repeat heavily within a batch; the cache avoids most HMACs. Only short values are kept, so the
// cache stays small (at most CACHE_LIMIT x ~300 bytes) whatever a listed field holds.
const CACHE_LIMIT = 50_000;
const MAX_CACHED_CHARS = 256;

export class PiiTokenizer {
  readonly fields: ReadonlySet<string>;
  readonly #key: Buffer | undefined;
  readonly #cache = new Map<string, string>();

  constructor(fields: readonly string[], key: string | undefined) {
    this.fields = new Set(fields);
    if (this.fields.size > 0 && (key === undefined || key === '')) {
      throw new ConfigError(
        'KL_PII_KEY',
        `KL_PII_FIELDS lists ${[...this.fields].join(', ')} but no key is set: set KL_PII_KEY (at least 16 characters) or KL_PII_KEY_SECRET_ARN, or KL_PII_FIELDS=none to store these fields in clear`,
      );
    }
    this.#key = key === undefined ? undefined : Buffer.from(key, 'utf8');
  }

  /** Values whose tokens are cached (for tests). */
  get cachedValues(): number {
    return this.#cache.size;
  }

  get enabled(): boolean {
    return this.fields.size > 0;
  }

  /** The token of a value; non-strings are tokenized on their JSON text. null stays null. */
  token(value: unknown): string | null {
    if (value === null || value === undefined) return null;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const hit = this.#cache.get(text);
    if (hit !== undefined) return hit;
    const tok = TOKEN_PREFIX + createHmac('sha256', this.#key!).update(text, 'utf8').digest('hex').slice(0, 32);
    if (text.length > MAX_CACHED_CHARS) return tok;
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(text, tok);
    return tok;
  }
}
