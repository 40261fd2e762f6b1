// Which stored password hashes an import accepts (SPEC §13): the formats the service verifies at
// login, within the same costs, so no imported account holds a hash that can never match.
// Recognised by their syntax only; no hash runs here. The checks below give the import's reasons;
// `inspectHash` of src/crypto/password (what a login reads) must accept a hash too.
import { inspectHash, parseHash } from '../../../src/crypto/password'

/** The formats accepted, by name (reported in the import's summary). */
export type HashFormat = 'scrypt' | 'bcrypt' | 'pbkdf2-sha256' | 'argon2id'

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{22}[./A-Za-z0-9]{31}$/
const BCRYPT_MAX_COST = 14
const PBKDF2 = /^\$pbkdf2-sha256\$([1-9]\d{0,9})\$([./A-Za-z0-9]{0,128})\$([./A-Za-z0-9]{43})$/
const PBKDF2_MAX_ROUNDS = 100_000
const ARGON2ID = /^\$argon2id\$v=(\d+)\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/
const ARGON2_CAPS = { maxMemoryKib: 102_400, maxPasses: 10, maxLanes: 16, maxWork: 102_400 * 3 }

/** Bytes of unpadded standard base64, or null when no encoding has that length. */
function base64Length(s: string): number | null {
  return s.length % 4 === 1 ? null : Math.floor((s.length * 3) / 4)
}

function bcrypt(stored: string): string | null {
  const m = BCRYPT.exec(stored)
  if (!m) return 'a malformed bcrypt hash'
  const cost = Number(m[1])
  return cost < 4 || cost > BCRYPT_MAX_COST ? `bcrypt cost ${cost} outside 4..${BCRYPT_MAX_COST}` : null
}

function pbkdf2(stored: string): string | null {
  const m = PBKDF2.exec(stored)
  if (!m || base64Length(m[2] as string) === null) return 'a malformed $pbkdf2-sha256$ hash'
  const rounds = Number(m[1])
  return rounds > PBKDF2_MAX_ROUNDS ? `$pbkdf2-sha256$ rounds ${rounds} over ${PBKDF2_MAX_ROUNDS}` : null
}

function argon2id(stored: string): string | null {
  const f = ARGON2ID.exec(stored)
  if (!f) return 'a malformed $argon2id$ hash'
  const [version, m, t, p] = [f[1], f[2], f[3], f[4]].map(Number) as [number, number, number, number]
  if (version !== 19) return `$argon2id$ version ${version} (only v=19)`
  const caps = ARGON2_CAPS
  if (t < 1 || t > caps.maxPasses || p < 1 || p > caps.maxLanes || m < 8 * p || m > caps.maxMemoryKib || m * t > caps.maxWork) {
    return `$argon2id$ m=${m},t=${t},p=${p} outside the caps`
  }
  const salt = base64Length(f[5] as string)
  const hash = base64Length(f[6] as string)
  if (salt === null || hash === null || salt < 8 || hash < 4 || hash > 64) return 'a malformed $argon2id$ hash'
  return null
}

const FORMATS: { format: HashFormat; claims: RegExp; problem: (s: string) => string | null }[] = [
  { format: 'scrypt', claims: /^\$scrypt\$/, problem: (s) => (parseHash(s) ? null : 'a malformed $scrypt$ hash') },
  { format: 'bcrypt', claims: /^\$2[aby]\$/, problem: bcrypt },
  { format: 'pbkdf2-sha256', claims: /^\$pbkdf2-sha256\$/, problem: pbkdf2 },
  { format: 'argon2id', claims: /^\$argon2id\$/, problem: argon2id },
]

/**
 * The format of a stored password hash, or why the service could never verify it: malformed, a
 * cost over the caps, or a format it does not know (`$2x$`, `$argon2i$`, a plain-text password…).
 * The reason never repeats the value: it may be a password some service stored in clear.
 */
export function hashFormat(stored: string): { format: HashFormat } | { problem: string } {
  const known = FORMATS.find((f) => f.claims.test(stored))
  if (!known) {
    return {
      problem: 'an unknown hash format (accepted: $scrypt$, bcrypt $2a$/$2b$/$2y$, $pbkdf2-sha256$, $argon2id$)',
    }
  }
  const problem = known.problem(stored)
  if (problem) return { problem }
  // The login's own reading has the last word, so the two can never disagree.
  const login = inspectHash(stored)
  if ('refused' in login) return { problem: `a ${known.format} hash the service refuses (${login.refused})` }
  return { format: known.format }
}
