/**
 * Access codes grant roles. Only their SHA-256 digest is stored (unsalted: the API finds the role by the digest), so
 * whoever holds a dump can test guesses offline as fast as a GPU hashes; only a long, random code survives that.
 * A generated code is shown once; a code someone chooses must be long and not a common one.
 */
import crypto from 'node:crypto';
import { COMMON_ACCESS_CODES } from './common-access-codes';

export const sha256hex = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** 20 characters from an alphabet without look-alikes (31^20 ≈ 2^99), grouped for reading: xxxxx-xxxxx-xxxxx-xxxxx. */
export function generateAccessCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const chars: string[] = [];
  while (chars.length < 20) {
    for (const b of crypto.randomBytes(32)) {
      // 248 = 8 × 31: bytes above it would make some characters likelier than others.
      if (b < 248 && chars.length < 20) chars.push(alphabet[b % 31]!);
    }
  }
  return chars.join('').match(/.{5}/g)!.join('-');
}

/** A chosen code shorter than this is refused: 9 characters of digits and letters fall offline within hours. */
export const MIN_CHOSEN_CODE = 10;

const common = new Set(COMMON_ACCESS_CODES.map((c) => c.toLowerCase()));

/** Why a code is weak (too short, or common), or null. Counted in characters (code points), as a person types them. */
export function weakCodeReason(code: string): string | null {
  const length = [...code].length;
  if (length < MIN_CHOSEN_CODE) return `it has ${length} character${length === 1 ? '' : 's'}; a chosen code needs at least ${MIN_CHOSEN_CODE}`;
  if (common.has(code.toLowerCase())) return 'it is one of the common codes attackers try first';
  return null;
}

/** What to do instead of a weak code. */
export const STRONG_CODE_HINT =
  'leave out --access-code and urdb generates a strong one (`urdb roles rotate-code <role>` for an existing role), ' +
  'or generate one with `openssl rand -base64 12`; --force-weak keeps a weak one anyway';

let weakDigests: Set<string> | undefined;

/**
 * Digests of codes known to be weak: the common list (as written, lower case, capitalised) and every code of up to
 * 4 digits (11,110 digests, a few ms). A digest-only import is checked against these; other short codes cannot be
 * enumerated at import time (9 characters of a 62-letter alphabet are 10^16 codes), so such a digest is not known
 * to be weak — though a thief with a GPU can still recover it.
 */
export function isWeakDigest(digest: string): boolean {
  if (!weakDigests) {
    weakDigests = new Set();
    for (const c of COMMON_ACCESS_CODES) {
      for (const v of [c, c.toLowerCase(), c.toUpperCase(), c[0]!.toUpperCase() + c.slice(1)]) weakDigests.add(sha256hex(v));
    }
    for (let digits = 1; digits <= 4; digits++) {
      for (let n = 0; n < 10 ** digits; n++) weakDigests.add(sha256hex(String(n).padStart(digits, '0')));
    }
  }
  return weakDigests.has(digest);
}
