import { timingSafeEqual } from './compare'
import { base64ToBytes, bytesToBase64, utf8 } from './encoding'
import { type ScryptParams, scrypt } from './scrypt'
import { semaphore } from './semaphore'

const KEY_LENGTH = 32
const SALT_LENGTH = 16
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/

// Each hash holds 128·N·r bytes (32 MiB at the defaults); two at once keep a 128 MB isolate safe.
const hashSlots = semaphore(2)

function derive(password: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  // NFKC so the same password typed on different keyboards/IMEs hashes the same (SPEC §4).
  return hashSlots(() => scrypt(utf8(password.normalize('NFKC')), salt, params, KEY_LENGTH))
}

/** Hashes a password into `$scrypt$ln=…,r=…,p=…$salt$hash`, so parameters can be raised later. */
export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_LENGTH))
  const key = await derive(password, salt, params)
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${bytesToBase64(salt)}$${bytesToBase64(key)}`
}

export function parseHash(stored: string): { params: ScryptParams; salt: Uint8Array; key: Uint8Array } | null {
  const m = FORMAT.exec(stored)
  if (!m) return null
  return {
    params: { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) },
    salt: base64ToBytes(m[4] ?? ''),
    key: base64ToBytes(m[5] ?? ''),
  }
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored)
  if (!parsed) return false
  const key = await derive(password, parsed.salt, parsed.params)
  return timingSafeEqual(key, parsed.key)
}

/** True when the stored hash was made with weaker parameters than the configured ones. */
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
