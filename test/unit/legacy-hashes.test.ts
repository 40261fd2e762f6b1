import { pbkdf2Sync, randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { inspectHash, legacyRuns, needsRehash, readHash, scryptRuns, verifyPassword } from '../../src/crypto/password'
import { PASSWORD } from '../helpers/factories'
import { ARGON2_REFERENCE, CAFE, LEGACY } from '../helpers/legacy-hashes'

// SPEC §13: other services' password hashes, verified with the libraries that made them as
// reference (fixtures in test/helpers/legacy-hashes.ts), malformed or too costly ones refused.

const WRONG = 'Wrong-Pass-2026'
const SMALL = { logN: 10, r: 8, p: 1 }

/** passlib's "adapted base64": standard base64 with `.` for `+` and no padding. */
const ab64 = (bytes: Buffer) => bytes.toString('base64').replace(/\+/g, '.').replace(/=+$/, '')

/** Runs `fn` and says how many legacy hashes and scrypt derivations it cost. */
async function cost(fn: () => Promise<unknown>) {
  const [legacy, scrypt] = [legacyRuns.count, scryptRuns.count]
  await fn()
  return { legacy: legacyRuns.count - legacy, scrypt: scryptRuns.count - scrypt }
}

describe.each([
  ['bcrypt $2b$ cost 10 (passlib)', LEGACY.bcrypt2b10, PASSWORD],
  ['bcrypt $2b$ cost 12 (passlib)', LEGACY.bcrypt2b12, PASSWORD],
  ['bcrypt $2a$ (passlib)', LEGACY.bcrypt2a10, PASSWORD],
  ['bcrypt $2y$ (passlib)', LEGACY.bcrypt2y10, PASSWORD],
  ['bcrypt of a non-ASCII password', LEGACY.bcryptCafe, CAFE],
  ['bcrypt $2b$ cost 10 (bcryptjs, made now)', bcrypt.hashSync(PASSWORD, 10), PASSWORD],
  ['bcrypt $2a$ cost 4 (bcryptjs, made now)', bcrypt.hashSync(PASSWORD, '$2a$04$abcdefghijklmnopqrstuu'), PASSWORD],
  ['passlib pbkdf2_sha256 (29,000 rounds)', LEGACY.pbkdf2, PASSWORD],
  ['passlib pbkdf2_sha256 (1,000 rounds)', LEGACY.pbkdf2Rounds1000, PASSWORD],
  ['passlib pbkdf2_sha256 with an 8-byte salt', LEGACY.pbkdf2Salt8, PASSWORD],
  ['passlib pbkdf2_sha256 of a non-ASCII password', LEGACY.pbkdf2Cafe, CAFE],
  ['argon2id, the reference implementation’s test', ARGON2_REFERENCE.hash, ARGON2_REFERENCE.password],
  ['argon2id at passlib’s defaults (100 MiB, p=8)', LEGACY.argon2Passlib, PASSWORD],
  ['argon2id at RFC 9106’s 64 MiB profile', LEGACY.argon2Rfc9106, PASSWORD],
  ['argon2id at OWASP’s 19 MiB', LEGACY.argon2Owasp, PASSWORD],
  ['argon2id of a non-ASCII password', LEGACY.argon2Cafe, CAFE],
])('%s', { timeout: 30_000 }, (_, stored, password) => {
  // argon2id at 100 MiB takes about a second quietly, several on a loaded 2-core machine.
  it('verifies the right password, in one legacy hash and no scrypt', async () => {
    let ok = false
    expect(await cost(async () => (ok = await verifyPassword(password, stored)))).toEqual({ legacy: 1, scrypt: 0 })
    expect(ok).toBe(true)
  })

  it('refuses a wrong one, and the right one with a character changed', async () => {
    expect(await verifyPassword(WRONG, stored)).toBe(false)
    expect(await verifyPassword(`${password.slice(0, -1)}X`, stored)).toBe(false)
  })

  it('is outdated whatever the scrypt parameters: a match is re-hashed', () => {
    expect(needsRehash(stored, SMALL)).toBe(true)
    expect(needsRehash(stored, { logN: 1, r: 1, p: 1 })).toBe(true)
  })
})

describe('formats in detail', () => {
  it('reads bcrypt, PBKDF2 and argon2id as what they are', () => {
    expect(readHash(LEGACY.bcrypt2y10)?.format).toBe('bcrypt')
    expect(readHash(LEGACY.pbkdf2)?.format).toBe('pbkdf2-sha256')
    expect(readHash(LEGACY.argon2Small)?.format).toBe('argon2id')
  })

  it('verifies a passlib PBKDF2 hash computed here, independently, with node:crypto and ab64', async () => {
    const salt = randomBytes(16)
    const hash = pbkdf2Sync(PASSWORD, salt, 12_345, 32, 'sha256')
    const stored = `$pbkdf2-sha256$12345$${ab64(salt)}$${ab64(hash)}`
    expect(await verifyPassword(PASSWORD, stored)).toBe(true)
    expect(await verifyPassword(WRONG, stored)).toBe(false)
  })

  it('hashes legacy passwords as their service did: UTF-8, not NFKC-normalised', async () => {
    // The é decomposed (e + U+0301) is another password to bcrypt, PBKDF2 and argon2id.
    const decomposed = CAFE.normalize('NFD')
    expect(decomposed).not.toBe(CAFE)
    for (const stored of [LEGACY.bcryptCafe, LEGACY.pbkdf2Cafe, LEGACY.argon2Cafe]) {
      expect(await verifyPassword(decomposed, stored)).toBe(false)
    }
  })

  it('keeps bcrypt’s 72-byte limit: what follows is ignored, as the old service ignored it', async () => {
    const long = 'a'.repeat(72)
    const stored = bcrypt.hashSync(long, 4)
    expect(await verifyPassword(`${long}anything`, stored)).toBe(true)
    expect(await verifyPassword(long.slice(1), stored)).toBe(false)
  })
})

describe('refused hashes: a failed verification, never a throw, an OOM or a long hash', () => {
  afterEach(() => vi.restoreAllMocks())

  const bcryptSalt = '$2b$10$s0T4e4ySUEVXVYxNuLF2ke'
  it.each([
    ['bcrypt cut short', LEGACY.bcrypt2b10.slice(0, -1)],
    ['bcrypt one character too long', `${LEGACY.bcrypt2b10}a`],
    ['bcrypt with a character outside its alphabet', `${bcryptSalt}n3.n4xAF4eZdWaddAMCfEEsXEnI4D/+`],
    ['bcrypt $2x$ (crypt_blowfish’s buggy variant)', LEGACY.bcrypt2b10.replace('$2b$', '$2x$')],
    ['bcrypt $2$ (no minor version)', `$2$10$${'a'.repeat(53)}`],
    ['bcrypt cost 03', LEGACY.bcrypt2b04.replace('$04$', '$03$')],
    ['bcrypt cost 15 (over the cap)', LEGACY.bcrypt2b10.replace('$10$', '$15$')],
    ['bcrypt cost 31', LEGACY.bcrypt2b10.replace('$10$', '$31$')],
    ['PBKDF2 over 100,000 rounds', LEGACY.pbkdf2.replace('$29000$', '$100001$')],
    ['PBKDF2 with 4,294,967,296 rounds', LEGACY.pbkdf2.replace('$29000$', '$4294967296$')],
    ['PBKDF2 with 0 rounds', LEGACY.pbkdf2.replace('$29000$', '$0$')],
    ['PBKDF2 with rounds written with a leading zero', LEGACY.pbkdf2.replace('$29000$', '$029000$')],
    ['PBKDF2 with a hash cut short', LEGACY.pbkdf2.slice(0, -1)],
    ['PBKDF2 with a salt of an impossible length', LEGACY.pbkdf2.replace('$EALgfE8ppXRO6T3H2Lt3Tg$', '$EALgf$')],
    ['PBKDF2 with standard base64 (+) instead of ab64 (.)', LEGACY.pbkdf2.replace(/\./g, '+')],
    ['PBKDF2 of another digest', LEGACY.pbkdf2.replace('sha256', 'sha512')],
    ['argon2id over the memory cap (256 MiB)', LEGACY.argon2Huge],
    ['argon2id with 4 GiB', LEGACY.argon2Small.replace('m=1024', 'm=4194303')],
    ['argon2id over the pass cap', LEGACY.argon2Small.replace('t=2', 't=11')],
    ['argon2id over the work cap (100 MiB × 4 passes)', LEGACY.argon2Passlib.replace('t=2', 't=4')],
    ['argon2id with 0 passes', LEGACY.argon2Small.replace('t=2', 't=0')],
    ['argon2id over the lane cap', LEGACY.argon2Small.replace('p=1', 'p=17')],
    ['argon2id with less memory than 8 KiB a lane', LEGACY.argon2Small.replace('m=1024,t=2,p=1', 'm=63,t=2,p=8')],
    ['argon2id version 16', LEGACY.argon2Small.replace('v=19', 'v=16')],
    ['argon2id without a version', LEGACY.argon2Small.replace('v=19$', '')],
    ['argon2id with a key id', LEGACY.argon2Small.replace('p=1', 'p=1,keyid=AAAA')],
    ['argon2id with a salt under 8 bytes', LEGACY.argon2Small.replace('90BduvxppUFTtuSqu9VcIQ', 'AAAAAAAA')],
    ['argon2id with padded base64', LEGACY.argon2Small.replace(/\$([^$]+)$/, '$$$1==')],
    ['argon2id with a hash of an impossible length', LEGACY.argon2Small.replace(/\$[^$]+$/, '$AAAAA')],
    ['argon2i (another variant)', LEGACY.argon2Small.replace('$argon2id$', '$argon2i$')],
    ['a prefix alone', '$argon2id$'],
    ['an empty string', ''],
  ])('%s', async (_, stored) => {
    const warn = vi.spyOn(console, 'error').mockImplementation(() => {})
    let ok: boolean | undefined
    expect(await cost(async () => (ok = await verifyPassword(PASSWORD, stored)))).toEqual({ legacy: 0, scrypt: 0 })
    expect(ok).toBe(false)
    expect(readHash(stored)).toBeNull()
    // The log line names the format and the reason, never the stored value.
    const lines = warn.mock.calls.map((c) => String(c[0]))
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ level: 'warn', msg: 'stored password hash refused' })
      if (stored.length > 12) expect(line).not.toContain(stored.slice(-12))
    }
  })

  it('inspectHash says what a stored value is and why it would be refused, logging nothing', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(inspectHash(LEGACY.bcrypt2b12)).toMatchObject({ format: 'bcrypt', verify: expect.any(Function) })
    expect(inspectHash(LEGACY.bcrypt2b10.replace('$10$', '$15$'))).toEqual({ format: 'bcrypt', refused: 'cost 15 outside 4..14' })
    expect(inspectHash(LEGACY.pbkdf2.replace('$29000$', '$100001$'))).toEqual({
      format: 'pbkdf2-sha256',
      refused: 'rounds 100001 over 100000',
    })
    expect(inspectHash(LEGACY.argon2Huge)).toEqual({ format: 'argon2id', refused: 'm=262144,t=1,p=1 outside the caps' })
    expect(inspectHash('$scrypt$ln=10')).toEqual({ format: 'scrypt', refused: 'malformed' })
    expect(inspectHash('hunter2')).toEqual({ format: 'unrecognised', refused: 'malformed' })
    expect(error).not.toHaveBeenCalled()
  })

  it('turns a library error on a hash the caps let through into a failed verification, logged', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    vi.spyOn(crypto.subtle, 'deriveBits').mockRejectedValueOnce(new Error('Pbkdf2 failed'))
    expect(await verifyPassword(PASSWORD, LEGACY.pbkdf2)).toBe(false)
    expect(JSON.parse(String(error.mock.calls[0]?.[0]))).toMatchObject({ level: 'error', format: 'pbkdf2-sha256' })
    expect(await verifyPassword(PASSWORD, LEGACY.pbkdf2)).toBe(true)
  })
})
