/**
 * Access codes grant roles. Only their SHA-256 digest is stored; a generated code is shown once.
 */
import crypto from 'node:crypto';

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
