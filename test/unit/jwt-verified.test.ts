import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/config'
import { loadKeyring, VERIFIED_TOKENS } from '../../src/crypto/jwt'
import { newId } from '../../src/crypto/random'

const ring = () => loadKeyring(loadConfig(env))
const claims = () => ({ sub: newId(), sid: newId(), jti: newId(), role: 'particulier', perms: [] })
const TTL_MS = loadConfig(env).ACCESS_TOKEN_EXPIRE_MINUTES * 60_000

afterEach(() => {
  vi.restoreAllMocks()
})

describe('verified access tokens remembered by the isolate', () => {
  it('checks the signature of a token once, then trusts the same string', async () => {
    const keyring = await ring()
    const now = Date.now()
    const token = await keyring.sign(claims(), now)
    const verify = vi.spyOn(crypto.subtle, 'verify')
    expect(await keyring.verify(token, now)).not.toBeNull()
    expect(await keyring.verify(token, now + 1000)).toMatchObject({ jti: expect.any(String) })
    expect(verify).toHaveBeenCalledTimes(1)
  })

  it('still refuses it once it has expired', async () => {
    const keyring = await ring()
    const now = Date.now()
    const token = await keyring.sign(claims(), now)
    expect(await keyring.verify(token, now)).not.toBeNull()
    expect(await keyring.verify(token, now + TTL_MS + 1000)).toBeNull()
  })

  it('never lets a changed copy of a remembered token through', async () => {
    const keyring = await ring()
    const now = Date.now()
    const token = await keyring.sign(claims(), now)
    expect(await keyring.verify(token, now)).not.toBeNull()
    const [header, payload, signature = ''] = token.split('.')
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.slice(-1)
    expect(await keyring.verify(`${header}.${payload}.${flipped}`, now)).toBeNull()
    const claimsOf = JSON.parse(atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/')))
    const elevated = btoa(JSON.stringify({ ...claimsOf, role: 'super_admin' }))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    expect(await keyring.verify(`${header}.${elevated}.${signature}`, now)).toBeNull()
  })

  it(`remembers at most ${VERIFIED_TOKENS} tokens, forgetting the least recently used`, async () => {
    const keyring = await ring()
    const now = Date.now()
    const first = await keyring.sign(claims(), now)
    const second = await keyring.sign(claims(), now)
    await keyring.verify(first, now)
    await keyring.verify(second, now)
    for (let i = 0; i < VERIFIED_TOKENS - 2; i++) await keyring.verify(await keyring.sign(claims(), now), now)
    await keyring.verify(first, now) // used again: now the most recent
    await keyring.verify(await keyring.sign(claims(), now), now) // over the bound: `second` goes
    const verify = vi.spyOn(crypto.subtle, 'verify')
    expect(await keyring.verify(first, now)).not.toBeNull()
    expect(verify).toHaveBeenCalledTimes(0)
    expect(await keyring.verify(second, now)).not.toBeNull()
    expect(verify).toHaveBeenCalledTimes(1)
  })
})
