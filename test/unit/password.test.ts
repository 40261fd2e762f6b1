import { beforeAll, describe, expect, it, vi } from 'vitest'
import { bytesToHex, utf8 } from '../../src/crypto/encoding'
import { dummyHash, hashPassword, needsRehash, parseHash, verifyPassword } from '../../src/crypto/password'
import { nativeScrypt, nobleScrypt, type ScryptParams, scrypt } from '../../src/crypto/scrypt'
import { semaphore } from '../../src/crypto/semaphore'
import type { Deps } from '../../src/deps'
import { scryptParams } from '../../src/services/passwords'
import type { UserRow } from '../../src/storage/db/schema'
import { testConfig } from '../helpers/config'
import { PASSWORD } from '../helpers/factories'
import { LEGACY } from '../helpers/legacy-hashes'

// The scrypt that password.ts uses, wrapped in a spy (same behaviour) so the tests can see
// whether a check actually ran the key derivation, and with which parameters.
vi.mock('../../src/crypto/scrypt', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/crypto/scrypt')>()
  return { ...real, scrypt: vi.fn(real.scrypt) }
})

/**
 * password.ts and passwords.ts as freshly evaluated modules: the Worker's module graph is loaded
 * before this file's mocks, so only a re-import sees the spied scrypt.
 */
async function withSpiedScrypt() {
  vi.resetModules()
  const passwordMod = await import('../../src/crypto/password')
  const passwordsMod = await import('../../src/services/passwords/check')
  return {
    hashPassword: passwordMod.hashPassword,
    verifyPassword: passwordMod.verifyPassword,
    checkPassword: passwordsMod.checkPassword,
  }
}

const SMALL: ScryptParams = { logN: 10, r: 8, p: 1 }
const FORMAT = /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/

describe('hashPassword / verifyPassword', () => {
  it('writes the self-describing $scrypt$ln=..,r=..,p=..$salt$hash format', async () => {
    const stored = await hashPassword('Tunis-Sol4r-2026', SMALL)
    expect(stored).toMatch(FORMAT)
    expect(parseHash(stored)).toMatchObject({ params: SMALL })
    expect(parseHash(stored)?.salt).toHaveLength(16)
    expect(parseHash(stored)?.key).toHaveLength(32)
  })

  it('salts every hash: the same password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashPassword('Same-Pass-1', SMALL), hashPassword('Same-Pass-1', SMALL)])
    expect(a).not.toBe(b)
  })

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('Tunis-Sol4r-2026', SMALL)
    expect(await verifyPassword('Tunis-Sol4r-2026', stored)).toBe(true)
    expect(await verifyPassword('tunis-Sol4r-2026', stored)).toBe(false)
    expect(await verifyPassword('Tunis-Sol4r-2026 ', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it('NFKC-normalises: the "ﬁ" ligature password equals "fi"', async () => {
    const stored = await hashPassword('\uFB01sh-Market-2026', SMALL)
    expect(await verifyPassword('fish-Market-2026', stored)).toBe(true)
    const plain = await hashPassword('fish-Market-2026', SMALL)
    expect(await verifyPassword('\uFB01sh-Market-2026', plain)).toBe(true)
  })

  it('treats composed and decomposed accents as the same password', async () => {
    const stored = await hashPassword('Caf\u00e9-Tunis-1', SMALL)
    expect(await verifyPassword('Cafe\u0301-Tunis-1', stored)).toBe(true)
  })

  it.each([
    ['an empty string', ''],
    ['a bcrypt hash cut short', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMU'],
    ['plain text', 'Tunis-Sol4r-2026'],
    ['a truncated hash', '$scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA=='],
    ['a salt that is not base64', '$scrypt$ln=10,r=8,p=1$A$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['a key that is not base64', '$scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAA'],
    ['ln=0 (N=1)', '$scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['r=0', '$scrypt$ln=10,r=0,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['p=0', '$scrypt$ln=10,r=8,p=0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    [
      'a cost no isolate can afford (ln=40)',
      '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    ],
  ])('answers false, without throwing, for a malformed stored hash: %s', async (_, stored) => {
    await expect(verifyPassword('Tunis-Sol4r-2026', stored)).resolves.toBe(false)
  })

  it('never matches a hash whose key has another length', async () => {
    const stored = await hashPassword('Tunis-Sol4r-2026', SMALL)
    const shorter = stored.replace(/\$[^$]+$/, '$AAAAAAAAAAAAAAAAAAAAAA==')
    expect(await verifyPassword('Tunis-Sol4r-2026', shorter)).toBe(false)
  })
})

describe('needsRehash', () => {
  const stored = (ln: number, r: number, p: number) => `$scrypt$ln=${ln},r=${r},p=${p}$AAAAAAAAAAAAAAAAAAAAAA==$AAAA`

  it('is false for a hash made with the configured parameters', () => {
    expect(needsRehash(stored(10, 8, 1), SMALL)).toBe(false)
  })

  it('is true when any parameter is weaker than configured', () => {
    expect(needsRehash(stored(9, 8, 1), SMALL)).toBe(true)
    expect(needsRehash(stored(10, 4, 1), SMALL)).toBe(true)
    expect(needsRehash(stored(10, 8, 1), { logN: 10, r: 8, p: 3 })).toBe(true)
  })

  it('is false when the stored parameters are stronger (never downgrades)', () => {
    expect(needsRehash(stored(15, 8, 3), SMALL)).toBe(false)
  })

  it('is true for a stored value it cannot parse', () => {
    expect(needsRehash('$2b$12$whatever', SMALL)).toBe(true)
  })
})

describe('unknown users cost a hash too', () => {
  const config = testConfig()
  const deps = { config, defer: () => {} } as unknown as Deps
  const spy = vi.mocked(scrypt)
  let checkPassword: Awaited<ReturnType<typeof withSpiedScrypt>>['checkPassword']
  beforeAll(async () => {
    ;({ checkPassword } = await withSpiedScrypt())
  })

  it('gives dummyHash the configured parameters, and it matches no password', async () => {
    const params = scryptParams(config)
    expect(params).toEqual(SMALL)
    const dummy = dummyHash(params)
    expect(dummy).toMatch(FORMAT)
    expect(needsRehash(dummy, params)).toBe(false)
    expect(await verifyPassword('', dummy)).toBe(false)
    expect(await verifyPassword('Tunis-Sol4r-2026', dummy)).toBe(false)
  })

  it('runs scrypt at the configured cost when the user does not exist', async () => {
    spy.mockClear()
    expect(await checkPassword(deps, undefined, 'Tunis-Sol4r-2026')).toEqual({ ok: false })
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy.mock.calls[0]?.[2]).toEqual(SMALL)
    expect(spy.mock.calls[0]?.[3]).toBe(32)
  })

  it('runs scrypt when the user has no password (passwordless account)', async () => {
    spy.mockClear()
    const user = { id: 'u1', passwordHash: null } as unknown as UserRow
    expect(await checkPassword(deps, user, 'Tunis-Sol4r-2026')).toEqual({ ok: false })
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy.mock.calls[0]?.[2]).toEqual(SMALL)
  })

  it('does the same single derivation for a known user with a wrong password', async () => {
    const user = { id: 'u2', passwordHash: await hashPassword('Tunis-Sol4r-2026', SMALL) } as unknown as UserRow
    spy.mockClear()
    expect(await checkPassword(deps, user, 'Wrong-Pass-2026')).toEqual({ ok: false })
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy.mock.calls[0]?.[2]).toEqual(SMALL)
  })

  it.each([
    ['of an unknown format', 'plain-text-password'],
    ['malformed', '$scrypt$ln=10,r=8,p=1$AAAA'],
    ['of a legacy format over its caps', `$2b$31$${'a'.repeat(53)}`],
  ])('runs scrypt at the configured cost when the stored hash is %s', async (_, passwordHash) => {
    const user = { id: 'u3', passwordHash } as unknown as UserRow
    spy.mockClear()
    expect(await checkPassword(deps, user, 'plain-text-password')).toEqual({ ok: false })
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy.mock.calls[0]?.[2]).toEqual(SMALL)
  })

  it('names the matched hash as outdated when it was made with weaker parameters, and only then', async () => {
    const weak = await hashPassword('Tunis-Sol4r-2026', { logN: 9, r: 8, p: 1 })
    const current = await hashPassword('Tunis-Sol4r-2026', SMALL)
    const check = (passwordHash: string, password = 'Tunis-Sol4r-2026') =>
      checkPassword(deps, { id: 'u4', passwordHash } as unknown as UserRow, password)
    expect(await check(weak)).toEqual({ ok: true, outdated: weak })
    expect(await check(current)).toEqual({ ok: true })
    expect(await check(weak, 'Wrong-Pass-2026')).toEqual({ ok: false })
  })
})

describe('scrypt implementations', () => {
  it('native and noble give identical bytes for the same inputs', async () => {
    const password = utf8('pässwörd-ﬁ-2026')
    const salt = utf8('0123456789abcdef')
    for (const params of [SMALL, { logN: 4, r: 1, p: 1 }, { logN: 6, r: 2, p: 3 }]) {
      const [native, noble] = await Promise.all([
        nativeScrypt(password, salt, params, 32),
        nobleScrypt(password, salt, params, 32),
      ])
      expect(bytesToHex(native)).toBe(bytesToHex(noble))
    }
  })

  it('both match the RFC 7914 test vector (password, NaCl, N=1024, r=8, p=16)', async () => {
    const expected =
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640'
    const params = { logN: 10, r: 8, p: 16 }
    expect(bytesToHex(await nativeScrypt(utf8('password'), utf8('NaCl'), params, 64))).toBe(expected)
    expect(bytesToHex(await nobleScrypt(utf8('password'), utf8('NaCl'), params, 64))).toBe(expected)
  })

  it('uses the native implementation in workerd (nodejs_compat)', () => {
    expect(vi.mocked(scrypt).getMockImplementation()).toBe(nativeScrypt)
  })
})

describe('semaphore', () => {
  it('never runs more than its limit at once, and runs every task', async () => {
    const use = semaphore(2)
    let running = 0
    let peak = 0
    const task = (i: number) =>
      use(async () => {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)))
        running--
        return i
      })
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => task(i)))
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i))
    expect(peak).toBe(2)
    expect(running).toBe(0)
  })

  it('frees the slot when a task throws', async () => {
    const use = semaphore(1)
    await expect(use(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(use(async () => 'next')).resolves.toBe('next')
  })

  it('starts waiting tasks in the order they arrived', async () => {
    const use = semaphore(1)
    const order: number[] = []
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        use(async () => {
          order.push(i)
          await new Promise((resolve) => setTimeout(resolve, 1))
        }),
      ),
    )
    expect(order).toEqual([0, 1, 2, 3])
  })

  it('keeps legacy verifications in the same two slots as scrypt', async () => {
    const fresh = await withSpiedScrypt()
    let running = 0
    let peak = 0
    // Both kinds take a while and yield meanwhile; without the shared slots all six would run at once.
    const slow = async <T>(work: () => Promise<T>) => {
      running++
      peak = Math.max(peak, running)
      try {
        await new Promise((resolve) => setTimeout(resolve, 5))
        return await work()
      } finally {
        running--
      }
    }
    const deriveBits = crypto.subtle.deriveBits.bind(crypto.subtle)
    const pbkdf2 = vi.spyOn(crypto.subtle, 'deriveBits').mockImplementation((...args) => slow(() => deriveBits(...args)))
    vi.mocked(scrypt).mockImplementation((...args) => slow(() => nativeScrypt(...args)))
    try {
      const results = await Promise.all([
        ...Array.from({ length: 3 }, (_, i) => fresh.hashPassword(`Pass-word-${i}`, SMALL)),
        ...Array.from({ length: 3 }, () => fresh.verifyPassword(PASSWORD, LEGACY.pbkdf2Rounds1000)),
      ])
      expect(results.slice(3)).toEqual([true, true, true])
      expect(pbkdf2).toHaveBeenCalledTimes(3)
    } finally {
      vi.mocked(scrypt).mockImplementation(nativeScrypt)
      pbkdf2.mockRestore()
    }
    expect(peak).toBe(2)
  })

  it('keeps password hashing to two derivations at once', async () => {
    const fresh = await withSpiedScrypt()
    let running = 0
    let peak = 0
    const spy = vi.mocked(scrypt)
    // A hash that takes a while and yields meanwhile (as it would off-thread): without the
    // semaphore all six would run at once.
    spy.mockImplementation(async (...args) => {
      running++
      peak = Math.max(peak, running)
      try {
        await new Promise((resolve) => setTimeout(resolve, 5))
        return await nativeScrypt(...args)
      } finally {
        running--
      }
    })
    try {
      await Promise.all(Array.from({ length: 6 }, (_, i) => fresh.hashPassword(`Pass-word-${i}`, SMALL)))
    } finally {
      spy.mockImplementation(nativeScrypt)
    }
    expect(peak).toBe(2)
  })
})
