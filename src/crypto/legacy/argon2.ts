import { argon2id } from '@noble/hashes/argon2.js'
import { timingSafeEqual } from '../compare'
import { utf8 } from '../encoding'
import { type Refused, refuse, unpaddedBase64, type Verifier } from './types'

// The PHC string of argon2-cffi and passlib: `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$salt$hash`,
// salt and hash in standard base64 without padding. Only version 19 (0x13), no key id or data.
const PREFIX = '$argon2id$'
const FORMAT = /^\$argon2id\$v=(\d+)\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

/**
 * Caps on what one verification may cost. Memory: the hash holds `m` KiB at once, and an isolate
 * has 128 MB; 100 MiB is passlib's and argon2-cffi's (before 21.2) default, the most a legacy hash
 * is likely to ask. Time: `m·t` KiB-passes, about 1.4 s of CPU in workerd at the cap.
 */
export const ARGON2_CAPS = { maxMemoryKib: 102_400, maxPasses: 10, maxLanes: 16, maxWork: 102_400 * 3 } as const

export const isArgon2id = (stored: string): boolean => stored.startsWith(PREFIX)

/** An `$argon2id$` PHC string, checked with @noble/hashes' argon2id, or why it is refused. */
export function readArgon2id(stored: string): Verifier | Refused {
  const f = FORMAT.exec(stored)
  if (!f) return refuse('malformed')
  const [version, m, t, p] = [f[1], f[2], f[3], f[4]].map(Number) as [number, number, number, number]
  if (version !== 19) return refuse(`version ${version}`)
  const caps = ARGON2_CAPS
  if (t < 1 || t > caps.maxPasses || p < 1 || p > caps.maxLanes || m < 8 * p || m > caps.maxMemoryKib || m * t > caps.maxWork) {
    return refuse(`m=${m},t=${t},p=${p} outside the caps`)
  }
  const salt = unpaddedBase64(f[5] as string)
  const hash = unpaddedBase64(f[6] as string)
  // @noble/hashes wants a salt of 8 bytes or more (RFC 9106 recommends 16), a tag of 4 or more.
  if (!salt || !hash || salt.length < 8 || hash.length < 4 || hash.length > 64) return refuse('malformed')
  return async (password) => {
    const derived = argon2id(utf8(password), salt, { m, t, p, version: 0x13, dkLen: hash.length, maxmem: m * 1024 })
    return timingSafeEqual(derived, hash)
  }
}
