import { log } from '../log'
import { timingSafeEqual } from './compare'
import { base64ToBytes, bytesToBase64, utf8 } from './encoding'
import { type LegacyFormat, readLegacyHash } from './legacy'
import { type ScryptParams, scrypt } from './scrypt'
import { semaphore } from './semaphore'

const KEY_LENGTH = 32
const SALT_LENGTH = 16
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/

// Each hash holds 128·N·r bytes (32 MiB at the defaults); two at once keep a 128 MB isolate safe.
// Legacy formats (bcrypt, PBKDF2, argon2id) take the same slots.
const hashSlots = semaphore(2)

/** How many scrypt evaluations this isolate ran (tests assert that refused requests cost none). */
export const scryptRuns = { count: 0 }

/** How many legacy hashes (bcrypt, PBKDF2, argon2id) this isolate verified. */
export const legacyRuns = { count: 0 }

function derive(password: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  // NFKC so the same password typed on different keyboards/IMEs hashes the same (SPEC §4).
  // No yield (setTimeout) before the hash: workerd cancels a request that waits on a promise only
  // another request can resolve while nothing of its own is pending ("code had hung"), and a
  // queued hash would be such a wait. Native scrypt runs on the isolate's thread anyway.
  scryptRuns.count++
  return hashSlots(() => scrypt(utf8(password.normalize('NFKC')), salt, params, KEY_LENGTH))
}

/** Hashes a password into `$scrypt$ln=…,r=…,p=…$salt$hash`, so parameters can be raised later. */
export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_LENGTH))
  const key = await derive(password, salt, params)
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${bytesToBase64(salt)}$${bytesToBase64(key)}`
}

// The largest cost a stored hash may ask for: the bounds config.ts accepts (a 128 MB isolate).
const MAX_LOG_N = 20
const MAX_R = 32
const MAX_P = 16
const MAX_MEMORY = 64 * 1024 * 1024

/** The parts of a stored hash, or null when it is malformed or asks for a cost we never configure. */
export function parseHash(stored: string): { params: ScryptParams; salt: Uint8Array; key: Uint8Array } | null {
  const m = FORMAT.exec(stored)
  if (!m) return null
  const params = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  // A corrupt or foreign row must not make scrypt throw, or allocate gigabytes, at login.
  const { logN, r, p } = params
  if (logN < 1 || logN > MAX_LOG_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return null
  if (128 * 2 ** logN * r > MAX_MEMORY) return null
  try {
    return { params, salt: base64ToBytes(m[4] ?? ''), key: base64ToBytes(m[5] ?? '') }
  } catch {
    return null // atob refuses base64 of an impossible length
  }
}

/** The format of a stored password hash: ours, or one of another service's (SPEC §13). */
export type HashFormat = 'scrypt' | LegacyFormat

/** A stored password hash that can be verified: its format, and a check of a password against it. */
export interface StoredHash {
  format: HashFormat
  verify(password: string): Promise<boolean>
}

/** What a stored value is: a hash to verify, or why it cannot be (its format, if one we know). */
export type HashInspection = StoredHash | { format: HashFormat | 'unrecognised'; refused: string }

/**
 * Reads a stored hash of any accepted format: `$scrypt$`, bcrypt (`$2a$`, `$2b$`, `$2y$`), passlib
 * `$pbkdf2-sha256$` or `$argon2id$`; or says why it would match no password: malformed, of
 * another format, or asking for a cost over the caps. Logs nothing, runs no hash (an import
 * checks its records with it).
 */
export function inspectHash(stored: string): HashInspection {
  const legacy = readLegacyHash(stored)
  if (legacy) {
    const { format, hash } = legacy
    if ('refused' in hash) return { format, refused: hash.refused }
    return {
      format,
      verify(password) {
        legacyRuns.count++
        return hashSlots(async () => {
          try {
            return await hash(password)
          } catch (err) {
            // A hash the checks above let through must still never turn a login into a 500.
            log.error('legacy password hash failed', { format, error: String(err) })
            return false
          }
        })
      },
    }
  }
  const parsed = parseHash(stored)
  if (!parsed) return { format: stored.startsWith('$scrypt$') ? 'scrypt' : 'unrecognised', refused: 'malformed' }
  return {
    format: 'scrypt',
    async verify(password) {
      const key = await derive(password, parsed.salt, parsed.params)
      return timingSafeEqual(key, parsed.key)
    },
  }
}

/**
 * `inspectHash` at sign-in: the hash to verify, or null, logged (the format and the reason;
 * nothing of the value, which might be a password some service stored in plain text).
 */
export function readHash(stored: string): StoredHash | null {
  const hash = inspectHash(stored)
  if ('verify' in hash) return hash
  log.warn('stored password hash refused', { format: hash.format, reason: hash.refused })
  return null
}

/** Checks a password against a stored hash of any accepted format in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const hash = readHash(stored)
  return hash ? hash.verify(password) : false
}

/** True when the stored hash is not scrypt, or was made with weaker parameters than the configured ones. */
export function needsRehash(stored: string, params: ScryptParams): boolean {
  const parsed = parseHash(stored)
  if (!parsed) return true
  const p = parsed.params
  return p.logN < params.logN || p.r < params.r || p.p < params.p
}

/**
 * A hash that matches no password, at the configured cost: verifying against it when the user
 * does not exist makes "unknown user" take as long as "wrong password".
 */
export function dummyHash(params: ScryptParams): string {
  const salt = bytesToBase64(crypto.getRandomValues(new Uint8Array(SALT_LENGTH)))
  const key = bytesToBase64(new Uint8Array(KEY_LENGTH))
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt}$${key}`
}
