import { hashSync } from 'bcryptjs'
import { timingSafeEqual } from '../compare'
import { utf8 } from '../encoding'
import { type Refused, refuse, type Verifier } from './types'

// `$2b$12$` + 22 characters of salt + 31 of hash, in bcrypt's own base64 (`./A-Za-z0-9`).
const FORMAT = /^(\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/

/** The highest cost accepted: 2^14 rounds, about 1.2 s of CPU in workerd (cost 12 takes 0.3 s). */
export const BCRYPT_MAX_COST = 14

/** Whether `stored` claims to be bcrypt (`$2a$`, `$2b$`, `$2y$`). */
export const isBcrypt = (stored: string): boolean => /^\$2[aby]\$/.test(stored)

/**
 * A bcrypt hash (through bcryptjs: pure JS, no Node crypto needed to compare), or why it is
 * refused. `$2a$`, `$2b$` and `$2y$` hash a password alike (bcryptjs, like OpenBSD since 2014).
 */
export function readBcrypt(stored: string): Verifier | Refused {
  const m = FORMAT.exec(stored)
  if (!m) return refuse('malformed')
  const cost = Number(m[2])
  if (cost < 4 || cost > BCRYPT_MAX_COST) return refuse(`cost ${cost} outside 4..${BCRYPT_MAX_COST}`)
  const setting = m[1] as string
  const checksum = utf8(m[3] as string)
  return async (password) => {
    // The password as the old service hashed it (UTF-8, not NFKC-normalised like ours).
    const again = hashSync(password, setting)
    // Only the hash part is compared, in constant time (a salt's unused low bits may be re-encoded).
    return timingSafeEqual(utf8(again.slice(-31)), checksum)
  }
}
