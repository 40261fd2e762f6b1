import { timingSafeEqual } from '../compare'
import { utf8 } from '../encoding'
import { type Refused, refuse, unpaddedBase64, type Verifier } from './types'

// passlib's pbkdf2_sha256: `$pbkdf2-sha256$<rounds>$<salt>$<hash>`, salt and hash in passlib's
// "adapted base64" (ab64: `.` for `+`, no padding); the hash is 32 bytes (43 characters).
const PREFIX = '$pbkdf2-sha256$'
const FORMAT = /^\$pbkdf2-sha256\$([1-9]\d{0,9})\$([./A-Za-z0-9]{0,128})\$([./A-Za-z0-9]{43})$/

/**
 * The most rounds accepted: Cloudflare's WebCrypto refuses more than 100,000 in production, and
 * pure JS would take 1.8 s of CPU per 100,000 (passlib's default is 29,000: 5 ms through WebCrypto).
 */
export const PBKDF2_MAX_ROUNDS = 100_000

export const isPbkdf2 = (stored: string): boolean => stored.startsWith(PREFIX)

const ab64 = (s: string) => unpaddedBase64(s.replace(/\./g, '+'))

/** A passlib `$pbkdf2-sha256$` hash, checked with WebCrypto's PBKDF2-HMAC-SHA256, or why it is refused. */
export function readPbkdf2(stored: string): Verifier | Refused {
  const m = FORMAT.exec(stored)
  if (!m) return refuse('malformed')
  const rounds = Number(m[1])
  if (rounds > PBKDF2_MAX_ROUNDS) return refuse(`rounds ${rounds} over ${PBKDF2_MAX_ROUNDS}`)
  const salt = ab64(m[2] as string)
  const hash = ab64(m[3] as string)
  if (!salt || !hash) return refuse('malformed')
  return async (password) => {
    const key = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits'])
    const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: rounds }, key, 256)
    return timingSafeEqual(new Uint8Array(bits), hash)
  }
}
