import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { allAuditRows } from '../helpers/audit'
import { newEmail, signUp } from '../helpers/factories'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { addPasskey, assertionFor, creationOptions, enrol, requestOptions, verifyAssertion } from '../helpers/passkeys'
import { getMe } from '../helpers/sessions'
import { fromB64url, ORIGIN, RP_ID, softAuthenticator } from '../helpers/webauthn'

// SPEC §14 passkeys, through HTTP against local D1, with a software authenticator
// (test/helpers/webauthn.ts) producing real attestation `none` and ES256 assertions.

const box = useOutbox()

/** The audit rows of `type` about `userId`, oldest first. */
async function events(type: string, userId: string) {
  const rows = await allAuditRows()
  return rows
    .filter((r) => r.type === type && r.subject_id === userId)
    .map((r) => ({ ...r, detail: JSON.parse(String(r.detail ?? 'null')) }))
}

async function passkeyRow(credentialId: string) {
  return env.DB.prepare('SELECT * FROM passkeys WHERE credential_id = ?').bind(credentialId).first<Record<string, unknown>>()
}

describe('registering a passkey', () => {
  it('answers creation options ready for parseCreationOptionsFromJSON, for a discoverable credential', async () => {
    const user = await signUp(box, { email: newEmail() })
    const res = await creationOptions(user.access_token)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const options = await json(res)
    expect(options).toMatchObject({
      rp: { id: RP_ID, name: 'edge-auth' },
      user: { name: user.user.email, displayName: 'Ahmed' },
      attestation: 'none',
      timeout: 300_000,
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
      excludeCredentials: [],
    })
    expect(fromB64url(options.challenge)).toHaveLength(32)
    expect(fromB64url(options.user.id)).toHaveLength(32) // SHA-256 of the user id, no personal data
    expect(options.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toContain(-7)
  })

  it('verifies the attestation, stores the passkey, lists it and audits passkey_added', async () => {
    const user = await activeUser(box)
    const { authenticator, passkey } = await enrol(user.access_token, { name: 'Pixel 9' })
    expect(passkey).toMatchObject({
      name: 'Pixel 9',
      credential_id: authenticator.id,
      transports: ['internal', 'hybrid'],
      backup_eligible: false,
      backed_up: false,
      last_used_at: null,
    })
    expect(Object.keys(passkey)).not.toContain('public_key')
    const list = await json(await call('GET', '/api/v1/me/passkeys', { token: user.access_token }))
    expect(list).toEqual({ items: [passkey], next_cursor: null })
    const [added] = await events('passkey_added', user.user.id)
    expect(added?.detail).toMatchObject({ passkey_id: passkey.id })
    // Its credential is excluded from the next creation options.
    const again = await json(await creationOptions(user.access_token))
    expect(again.excludeCredentials).toEqual([{ id: authenticator.id, type: 'public-key', transports: ['internal', 'hybrid'] }])
  })

  it('records a synced passkey as backup eligible and backed up', async () => {
    const user = await activeUser(box)
    const { passkey } = await enrol(user.access_token, { authenticator: await softAuthenticator({ backupEligible: true }) })
    expect(passkey).toMatchObject({ backup_eligible: true, backed_up: true, name: 'Passkey' })
  })

  it('refuses a credential from another origin, for another RP ID, or answering no challenge of the user', async () => {
    const user = await activeUser(box)
    const other = await activeUser(box)
    const cases = [
      { ceremony: { origin: 'https://evil.example' }, field: /origin/ },
      { ceremony: { rpId: 'evil.example' }, field: /relying party/ },
    ]
    for (const c of cases) {
      const credential = await (await softAuthenticator()).create(
        await json(await creationOptions(user.access_token)),
        c.ceremony,
      )
      const body = await expectError(await addPasskey(user.access_token, { credential }), 400, 'validation_error')
      expect(body.fields.credential).toMatch(c.field)
    }
    // Another user's challenge.
    const theirs = await (await softAuthenticator()).create(await json(await creationOptions(other.access_token)))
    const body = await expectError(await addPasskey(user.access_token, { credential: theirs }), 400, 'validation_error')
    expect(body.fields.credential).toMatch(/unknown, expired or already used/)
    // The other user's own registration still works: a refused attempt did not use their challenge.
    expect((await addPasskey(other.access_token, { credential: theirs })).status).toBe(201)
    expect(await passkeyRow(theirs.id)).toMatchObject({ user_id: other.user.id })
  })

  it('uses a registration challenge once, and refuses a credential id registered already (409 passkey_taken)', async () => {
    const user = await activeUser(box)
    const authenticator = await softAuthenticator()
    const credential = await authenticator.create(await json(await creationOptions(user.access_token)))
    expect((await addPasskey(user.access_token, { credential })).status).toBe(201)
    const replay = await expectError(await addPasskey(user.access_token, { credential }), 400, 'validation_error')
    expect(replay.fields.credential).toMatch(/already used/)
    // Someone else presenting the same credential id (a software authenticator chooses any id).
    const thief = await activeUser(box)
    const copy = await softAuthenticator({ credentialId: authenticator.credentialId })
    const stolen = await copy.create(await json(await creationOptions(thief.access_token)))
    await expectError(await addPasskey(thief.access_token, { credential: stolen }), 409, 'passkey_taken')
  })

  it('refuses an expired registration challenge', async () => {
    const user = await activeUser(box)
    const options = await json(await creationOptions(user.access_token))
    await env.DB.prepare('UPDATE webauthn_challenges SET expires_at = ? WHERE user_id = ?')
      .bind(Date.now() - 1, user.user.id)
      .run()
    const credential = await (await softAuthenticator()).create(options)
    const body = await expectError(await addPasskey(user.access_token, { credential }), 400, 'validation_error')
    expect(body.fields.credential).toMatch(/expired/)
  })

  it('renames and deletes only its own passkeys; deleting is audited', async () => {
    const user = await activeUser(box)
    const other = await activeUser(box)
    const { passkey } = await enrol(user.access_token)
    const path = `/api/v1/me/passkeys/${passkey.id}`
    await expectError(await call('PATCH', path, { token: other.access_token, json: { name: 'Mine' } }), 404, 'not_found')
    await expectError(await call('DELETE', path, { token: other.access_token }), 404, 'not_found')
    const renamed = await call('PATCH', path, { token: user.access_token, json: { name: '  Work laptop ' } })
    expect(await json(renamed)).toMatchObject({ id: passkey.id, name: 'Work laptop' })
    await expectError(
      await call('PATCH', path, { token: user.access_token, json: { name: 'x', extra: 1 } }),
      400,
      'validation_error',
    )
    expect((await call('DELETE', path, { token: user.access_token })).status).toBe(204)
    expect((await json(await call('GET', '/api/v1/me/passkeys', { token: user.access_token }))).items).toEqual([])
    const [removed] = await events('passkey_removed', user.user.id)
    expect(removed?.detail).toMatchObject({ passkey_id: passkey.id })
  })

  it('needs a signed-in caller, and a live session to add or delete', async () => {
    await expectError(await call('POST', '/api/v1/me/passkeys/options'), 401, 'unauthorized')
    await expectError(await call('GET', '/api/v1/me/passkeys'), 401, 'unauthorized')
    const user = await activeUser(box)
    const credential = await (await softAuthenticator()).create(await json(await creationOptions(user.access_token)))
    // The session ends (in D1): its still-unexpired access token cannot add a passkey.
    await env.DB.prepare('UPDATE sessions SET revoked_at = ? WHERE user_id = ?').bind(Date.now(), user.user.id).run()
    await expectError(await addPasskey(user.access_token, { credential }), 401, 'invalid_token')
  })

  it('refuses a malformed credential with 400 validation_error, never 500', async () => {
    const user = await activeUser(box)
    for (const credential of [
      {},
      { id: 'AA', rawId: 'AA', type: 'public-key', response: { clientDataJSON: 'AA', attestationObject: 'AA' } },
      { id: 'A A', rawId: 'AA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } },
    ]) {
      await expectError(await addPasskey(user.access_token, { credential }), 400, 'validation_error')
    }
  })
})

describe('signing in with a passkey', () => {
  it('signs in with allowCredentials from the identifier; the token works; audited with method passkey', async () => {
    const user = await activeUser(box)
    const { authenticator, passkey } = await enrol(user.access_token)
    const options = await json(await requestOptions({ phone: user.phone }))
    expect(options).toMatchObject({
      rpId: RP_ID,
      userVerification: 'required',
      timeout: 300_000,
      allowCredentials: [{ id: authenticator.id, type: 'public-key', transports: ['internal', 'hybrid'] }],
    })
    const res = await verifyAssertion(await authenticator.get(options))
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const tokens = await json(res)
    expect(tokens).toMatchObject({ token_type: 'bearer', user: { id: user.user.id } })
    expect((await getMe(tokens.access_token)).status).toBe(200)
    expect(await passkeyRow(authenticator.id)).toMatchObject({ counter: 1 })
    const listed = (await json(await call('GET', '/api/v1/me/passkeys', { token: tokens.access_token }))).items
    expect(listed[0].last_used_at).not.toBeNull()
    const logins = await events('login_succeeded', user.user.id)
    expect(logins.at(-1)?.detail).toEqual({ method: 'passkey', passkey_id: passkey.id, amr: ['hwk', 'mfa'] })
  })

  it('signs in without an identifier (a discoverable passkey, usernameless)', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token, { authenticator: await softAuthenticator({ backupEligible: true }) })
    const options = await json(await requestOptions(undefined))
    expect(options.allowCredentials ?? []).toEqual([])
    const res = await verifyAssertion(await authenticator.get(options))
    expect(res.status, await res.clone().text()).toBe(200)
    expect((await json(res)).user.id).toBe(user.user.id)
    const logins = await events('login_succeeded', user.user.id)
    expect(logins.at(-1)?.detail.amr).toEqual(['swk', 'mfa'])
  })

  it('answers an unknown identifier, and an account without passkeys, with the same shape: one stable stand-in credential', async () => {
    const plain = await activeUser(box)
    const shapes = []
    for (const body of [{ phone: plain.phone }, { phone: '+21690000001' }, { email: newEmail() }, { username: 'nobody.here' }]) {
      const first = await json(await requestOptions(body))
      const second = await json(await requestOptions(body))
      expect(first.allowCredentials).toHaveLength(1)
      expect(second.allowCredentials).toEqual(first.allowCredentials) // stable, like a real one
      expect(first.challenge).not.toBe(second.challenge)
      shapes.push(Object.keys(first).sort().join())
      expect(fromB64url(first.allowCredentials[0].id)).toHaveLength(16)
    }
    expect(new Set(shapes).size).toBe(1)
    await expectError(await requestOptions({ phone: plain.phone, email: newEmail() }), 400, 'validation_error')
  })

  it('refuses a replayed assertion: the challenge is used once', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const assertion = await assertionFor(authenticator)
    expect((await verifyAssertion(assertion)).status).toBe(200)
    const body = await expectError(await verifyAssertion(assertion), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/already used/)
  })

  it('uses a challenge once even when two sign-ins race with it', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const options = await json(await requestOptions(undefined))
    const a = await authenticator.get(options, { counter: 7 })
    const b = await authenticator.get(options, { counter: 8 })
    const statuses = (await Promise.all([verifyAssertion(a), verifyAssertion(b)])).map((r) => r.status).sort()
    expect(statuses).toEqual([200, 401])
  })

  it('refuses an assertion made for another origin', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const assertion = await assertionFor(authenticator, undefined, { ceremony: { origin: 'https://evil.example' } })
    const body = await expectError(await verifyAssertion(assertion), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/origin/)
  })

  it('refuses an assertion scoped to another RP ID', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const assertion = await assertionFor(authenticator, undefined, { ceremony: { rpId: 'evil.example' } })
    const body = await expectError(await verifyAssertion(assertion), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/relying party/)
  })

  it('refuses an assertion without user verification (no second step follows a passkey)', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const assertion = await assertionFor(authenticator, undefined, { ceremony: { uv: false } })
    const body = await expectError(await verifyAssertion(assertion), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/verify the user/)
  })

  it('refuses a signature made with another key', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const impostor = await softAuthenticator({ credentialId: authenticator.credentialId })
    const body = await expectError(await verifyAssertion(await assertionFor(impostor)), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/signature/)
  })

  it("refuses a cloned authenticator's counter (backwards or repeated) and audits passkey_counter_mismatch", async () => {
    const user = await activeUser(box)
    const { authenticator, passkey } = await enrol(user.access_token)
    expect((await verifyAssertion(await assertionFor(authenticator, undefined, { ceremony: { counter: 5 } }))).status).toBe(200)
    for (const counter of [3, 5]) {
      const body = await expectError(
        await verifyAssertion(await assertionFor(authenticator, undefined, { ceremony: { counter } })),
        401,
        'invalid_credentials',
      )
      expect(body.detail).toMatch(/counter did not increase/)
    }
    const alarms = await events('passkey_counter_mismatch', user.user.id)
    expect(alarms.map((a) => a.detail)).toEqual([
      { passkey_id: passkey.id, stored: 5, presented: 3 },
      { passkey_id: passkey.id, stored: 5, presented: 5 },
    ])
    expect(await passkeyRow(authenticator.id)).toMatchObject({ counter: 5 })
    // The genuine authenticator, further on, still signs in.
    expect((await verifyAssertion(await assertionFor(authenticator, undefined, { ceremony: { counter: 6 } }))).status).toBe(200)
  })

  it('accepts an authenticator that keeps no counter (always 0), every time', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    for (let i = 0; i < 2; i++) {
      expect((await verifyAssertion(await assertionFor(authenticator, undefined, { ceremony: { counter: 0 } }))).status).toBe(200)
    }
  })

  it('refuses a deleted passkey', async () => {
    const user = await activeUser(box)
    const { authenticator, passkey } = await enrol(user.access_token)
    expect((await call('DELETE', `/api/v1/me/passkeys/${passkey.id}`, { token: user.access_token })).status).toBe(204)
    // Its id no longer comes back for the phone (the stand-in does).
    const options = await json(await requestOptions({ phone: user.phone }))
    expect(options.allowCredentials.map((c: { id: string }) => c.id)).not.toContain(authenticator.id)
    const assertion = await authenticator.get(options, { ignoreAllowList: true })
    const body = await expectError(await verifyAssertion(assertion), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/no passkey with this credential id/)
  })

  it('refuses a disabled account with 403 account_disabled', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    await env.DB.prepare("UPDATE users SET status = 'suspended' WHERE id = ?").bind(user.user.id).run()
    await expectError(await verifyAssertion(await assertionFor(authenticator)), 403, 'account_disabled')
  })

  it('refuses a user handle that is not the passkey owner’s', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    authenticator.userHandle = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    const body = await expectError(await verifyAssertion(await assertionFor(authenticator)), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/user handle/)
  })

  it('refuses a malformed assertion with 400 validation_error, never 500', async () => {
    for (const credential of [{}, { id: 'AA', rawId: 'AA', type: 'public-key', response: { clientDataJSON: 'e30' } }]) {
      await expectError(await verifyAssertion(credential), 400, 'validation_error')
    }
    // Well-formed members that decode to nonsense: the passkey is found, then refused.
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const garbage = {
      id: authenticator.id,
      rawId: authenticator.id,
      type: 'public-key',
      response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' },
    }
    await expectError(await verifyAssertion(garbage), 401, 'invalid_credentials')
  })
})

describe('passkeys and user pools (SPEC §12)', () => {
  const vars = { USER_POOLS: JSON.stringify({ user1: {}, user2: {} }), OTP_RESEND_COOLDOWN_SECONDS: '0' }

  /** A verified account in `pool`. */
  async function poolUser(pool: string) {
    const phone = `+2169${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`
    const prefix = `/api/v1/pools/${pool}`
    const reg = await call('POST', `${prefix}/auth/register`, { json: { phone, password: 'Tunis-Sol4r-2026' }, env: vars })
    expect(reg.status).toBe(201)
    const res = await call('POST', `${prefix}/auth/verify`, { json: { phone, code: box.lastCode(phone) }, env: vars })
    expect(res.status).toBe(200)
    return { phone, ...(await json(res)) }
  }

  it("signs in a pool's user on its pool's routes only", async () => {
    const user = await poolUser('user1')
    const { authenticator } = await enrol(user.access_token, { pool: 'user1', env: vars })
    const ok = await verifyAssertion(await assertionFor(authenticator, undefined, { pool: 'user1', env: vars }), {
      pool: 'user1',
      env: vars,
    })
    expect(ok.status, await ok.clone().text()).toBe(200)
    expect((await json(ok)).user).toMatchObject({ id: user.user.id, pool: 'user1' })
    // On another pool's routes (its own options and challenge): no such passkey there.
    for (const pool of ['user2', 'default']) {
      const assertion = await assertionFor(authenticator, undefined, { pool, env: vars })
      const body = await expectError(await verifyAssertion(assertion, { pool, env: vars }), 401, 'invalid_credentials')
      expect(body.detail).toMatch(/no passkey with this credential id/)
    }
    // Its phone names nobody in another pool: the stand-in, not its credential.
    const there = await json(await requestOptions({ phone: user.phone }, { pool: 'user2', env: vars }))
    expect(there.allowCredentials.map((c: { id: string }) => c.id)).not.toContain(authenticator.id)
  })

  it('binds a sign-in challenge to the pool it was issued in', async () => {
    const user = await poolUser('user1')
    const { authenticator } = await enrol(user.access_token, { pool: 'user1', env: vars })
    const foreign = await assertionFor(authenticator, undefined, { pool: 'user2', env: vars })
    const body = await expectError(await verifyAssertion(foreign, { pool: 'user1', env: vars }), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/unknown, expired or already used/)
  })
})

describe('WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS', () => {
  const APK = `android:apk-key-hash:${'a'.repeat(43)}`
  const vars = {
    PUBLIC_URL: 'https://auth.example.com',
    WEBAUTHN_RP_ID: 'example.com',
    WEBAUTHN_ORIGINS: `https://app.example.com,${APK}`,
  }

  it('registers and signs in from an allowed web origin or Android app, with the configured RP ID', async () => {
    const user = await activeUser(box, { env: vars })
    const options = await json(await creationOptions(user.access_token, { env: vars }))
    expect(options.rp.id).toBe('example.com')
    const authenticator = await softAuthenticator()
    const credential = await authenticator.create(options, { origin: APK })
    expect((await addPasskey(user.access_token, { credential }, { env: vars })).status).toBe(201)
    const assertion = await assertionFor(authenticator, undefined, { env: vars, ceremony: { origin: 'https://app.example.com' } })
    expect((await verifyAssertion(assertion, { env: vars })).status).toBe(200)
    // PUBLIC_URL's own origin is not in the list that replaced it.
    const refused = await assertionFor(authenticator, undefined, { env: vars, ceremony: { origin: 'https://auth.example.com' } })
    await expectError(await verifyAssertion(refused, { env: vars }), 401, 'invalid_credentials')
  })

  it('refuses an origin outside the RP ID as a configuration error', async () => {
    const res = await call('GET', '/api/v1/me', {
      env: { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org' },
    })
    await expectError(res, 500, 'internal_error')
  })

  it('defaults to the hostname and origin of PUBLIC_URL', async () => {
    const user = await activeUser(box)
    expect((await json(await creationOptions(user.access_token))).rp.id).toBe(RP_ID)
    expect(ORIGIN).toBe('http://localhost:8787')
  })
})

describe('the development passkey test page', () => {
  it('is served in development with a CSP allowing only its own script (by hash), style and origin', async () => {
    const res = await call('GET', '/api/v1/dev/passkey-test')
    expect(res.status).toBe(200)
    const html = await res.text()
    const csp = res.headers.get('content-security-policy') ?? ''
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? ''
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(script)))
    expect(csp).toContain(`script-src 'sha256-${btoa(String.fromCharCode(...digest))}'`)
    expect(csp).toMatch(/default-src 'none'.*connect-src 'self'/)
    expect(csp).not.toMatch(/unsafe-inline|https?:/)
    expect(html).toContain('PublicKeyCredential.parseCreationOptionsFromJSON')
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/)
  })

  it('does not exist in production', async () => {
    const prod = { ENVIRONMENT: 'production', SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console' }
    await expectError(await call('GET', '/api/v1/dev/passkey-test', { env: prod }), 404, 'not_found')
  })
})
