import { isArgon2id, readArgon2id } from './argon2'
import { isBcrypt, readBcrypt } from './bcrypt'
import { isPbkdf2, readPbkdf2 } from './pbkdf2'
import type { Refused, Verifier } from './types'

export { ARGON2_CAPS } from './argon2'
export { BCRYPT_MAX_COST } from './bcrypt'
export { PBKDF2_MAX_ROUNDS } from './pbkdf2'
export type { Refused, Verifier } from './types'

/** The password hash formats of other services verified at login (SPEC §13), by their prefix. */
const FORMATS = [
  { format: 'bcrypt', claims: isBcrypt, read: readBcrypt },
  { format: 'pbkdf2-sha256', claims: isPbkdf2, read: readPbkdf2 },
  { format: 'argon2id', claims: isArgon2id, read: readArgon2id },
] as const

export type LegacyFormat = (typeof FORMATS)[number]['format']

/**
 * The legacy format `stored` is written in and its verifier, or why it is refused; null when it
 * claims none of them. Never throws, allocates nothing large, and runs no hash.
 */
export function readLegacyHash(stored: string): { format: LegacyFormat; hash: Verifier | Refused } | null {
  const found = FORMATS.find((f) => f.claims(stored))
  return found ? { format: found.format, hash: found.read(stored) } : null
}
