import { describe, expect, it } from 'vitest'
import { newRecoveryCode, normalizeRecoveryCode, recoveryCodeHash } from '../../src/crypto/recovery-codes'
import { seal, unseal } from '../../src/crypto/secret-box'
import { base32Secret, matchingSteps, newTotpSecret, totpAt, totpStep, totpUri } from '../../src/crypto/totp'

// RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890" (ASCII), T0 = 0, X = 30 s, 8 digits.
const RFC_SEED = new TextEncoder().encode('12345678901234567890')
const RFC_VECTORS: [unixSeconds: number, totp: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]

describe('TOTP (RFC 6238, SHA-1)', () => {
  it.each(RFC_VECTORS)("gives RFC 6238's published 8-digit value at Unix time %i", (seconds, expected) => {
    expect(totpAt(RFC_SEED, totpStep(seconds * 1000), 8)).toBe(expected)
  })

  it.each(RFC_VECTORS)(
    "accepts the 6-digit truncation of RFC 6238's value at Unix time %i, at that time only",
    (seconds, expected) => {
      const code = expected.slice(-6) // D = Snum mod 10^digits: 6 digits are the last 6 of the 8
      const step = totpStep(seconds * 1000)
      // With a non-RFC secret nothing matches; with the RFC seed, exactly the vector's step.
      expect(matchingSteps(RFC_SEED, code, seconds * 1000)).toEqual([step])
      expect(matchingSteps(RFC_SEED, code, seconds * 1000 + 30_000)).toEqual([step]) // one step late: still in the window
      expect(matchingSteps(RFC_SEED, code, seconds * 1000 - 30_000)).toEqual([step]) // one step early
      expect(matchingSteps(RFC_SEED, code, seconds * 1000 + 60_000)).toEqual([]) // two steps: refused
      expect(matchingSteps(new Uint8Array(20), code, seconds * 1000)).toEqual([])
    },
  )

  it('makes 160-bit secrets, base32 without padding, and an otpauth URI naming issuer and account', () => {
    const key = newTotpSecret()
    expect(key).toHaveLength(20)
    const secret = base32Secret(key)
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const uri = new URL(totpUri('Solar App', '+21698765432', key))
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/Solar App:+21698765432')
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Solar App',
      algorithm: 'SHA1',
      secret,
      period: '30',
      digits: '6',
    })
  })
})

describe('sealed secrets (HKDF + AES-GCM)', () => {
  const scope = { pepper: 'p'.repeat(32), purpose: 'totp-secret', owner: 'user-1' }

  it('opens what it sealed, and never stores the plain bytes', async () => {
    const plain = newTotpSecret()
    const sealed = await seal(scope, plain)
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/)
    expect(sealed).not.toContain(base32Secret(plain))
    expect(await unseal(scope, sealed)).toEqual(plain)
    expect(await seal(scope, plain)).not.toBe(sealed) // a fresh IV each time
  })

  it('refuses a value sealed for another owner, under another pepper, or tampered with', async () => {
    const sealed = await seal(scope, newTotpSecret())
    await expect(unseal({ ...scope, owner: 'user-2' }, sealed)).rejects.toThrow()
    await expect(unseal({ ...scope, pepper: 'q'.repeat(32) }, sealed)).rejects.toThrow()
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`
    await expect(unseal(scope, flipped)).rejects.toThrow()
  })
})

describe('recovery codes', () => {
  it('are ten base32 characters in two groups, and match however they are typed', async () => {
    const code = newRecoveryCode()
    expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/)
    expect(normalizeRecoveryCode(` ${code.toUpperCase().replace('-', ' - ')} `)).toBe(code.replace('-', ''))
    const pepper = 'p'.repeat(32)
    expect(await recoveryCodeHash(pepper, 'u1', code.toUpperCase())).toBe(await recoveryCodeHash(pepper, 'u1', code))
    expect(await recoveryCodeHash(pepper, 'u2', code)).not.toBe(await recoveryCodeHash(pepper, 'u1', code))
  })
})
