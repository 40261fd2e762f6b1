import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { expectError, json } from '../helpers/app'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { addPasskey, assertionFor, creationOptions, enrol, verifyAssertion } from '../helpers/passkeys'
import { type Algorithm, type Attestation, softAuthenticator } from '../helpers/webauthn'

// SPEC §14 passkeys, the verification itself (src/services/passkeys/ceremony.ts and signature.ts):
// every algorithm the creation options offer, the attestation statements accepted and refused, and
// authenticator data that is not what WebAuthn defines.

const box = useOutbox()

const MALFORMED = /could not be parsed or its signature or attestation is invalid/

describe('passkey algorithms', () => {
  it('offers EdDSA, ES256 and RS256, in that order', async () => {
    const user = await activeUser(box)
    const options = await json(await creationOptions(user.access_token))
    expect(options.pubKeyCredParams).toEqual([
      { alg: -8, type: 'public-key' },
      { alg: -7, type: 'public-key' },
      { alg: -257, type: 'public-key' },
    ])
    expect(options).toMatchObject({ extensions: { credProps: true }, hints: [] })
  })

  for (const algorithm of ['ES256', 'EdDSA', 'RS256'] as Algorithm[]) {
    it(`registers an ${algorithm} passkey, signs in with it, and refuses another ${algorithm} key's signature`, async () => {
      const user = await activeUser(box)
      const { authenticator } = await enrol(user.access_token, { authenticator: await softAuthenticator({ algorithm }) })
      const ok = await verifyAssertion(await assertionFor(authenticator))
      expect(ok.status).toBe(200)
      expect((await json(ok)).user).toMatchObject({ id: user.user.id })
      const row = await env.DB.prepare('SELECT counter FROM passkeys WHERE credential_id = ?').bind(authenticator.id).first()
      expect(row).toEqual({ counter: 1 })
      const impostor = await softAuthenticator({ algorithm, credentialId: authenticator.credentialId })
      const body = await expectError(await verifyAssertion(await assertionFor(impostor)), 401, 'invalid_credentials')
      expect(body.detail).toMatch(/does not verify with the registered public key/)
    })
  }

  it('refuses an assertion signed with an algorithm other than the registered key’s', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const other = await softAuthenticator({ algorithm: 'EdDSA', credentialId: authenticator.credentialId })
    const body = await expectError(await verifyAssertion(await assertionFor(other)), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/signature/)
  })
})

describe('attestation statements', () => {
  it('accepts packed self attestation signed by the new key, for every algorithm', async () => {
    for (const algorithm of ['ES256', 'EdDSA', 'RS256'] as Algorithm[]) {
      const user = await activeUser(box)
      const authenticator = await softAuthenticator({ algorithm, attestation: 'packed-self' })
      const { passkey } = await enrol(user.access_token, { authenticator })
      expect(passkey).toMatchObject({ credential_id: authenticator.id, aaguid: '00000000-0000-0000-0000-000000000000' })
      expect((await verifyAssertion(await assertionFor(authenticator))).status).toBe(200)
    }
  })

  it('refuses a wrong self attestation signature, attestation with a certificate, and a none statement with members', async () => {
    const user = await activeUser(box)
    for (const attestation of ['packed-self-bad', 'packed-x5c', 'fido-u2f', 'none-not-empty'] as Attestation[]) {
      const credential = await (await softAuthenticator({ attestation })).create(
        await json(await creationOptions(user.access_token)),
      )
      const body = await expectError(await addPasskey(user.access_token, { credential }), 400, 'validation_error')
      expect(body.fields.credential, attestation).toMatch(MALFORMED)
    }
    // None of those used the user's challenge: a good credential for the last options still registers.
    const credential = await (await softAuthenticator()).create(await json(await creationOptions(user.access_token)))
    expect((await addPasskey(user.access_token, { credential })).status).toBe(201)
  })
})

describe('authenticator data', () => {
  it('refuses a registration without user presence', async () => {
    const user = await activeUser(box)
    const credential = await (await softAuthenticator()).create(await json(await creationOptions(user.access_token)), {
      up: false,
    })
    const body = await expectError(await addPasskey(user.access_token, { credential }), 400, 'validation_error')
    expect(body.fields.credential).toMatch(/did not test user presence/)
  })

  it('refuses an assertion without user presence, or backed up without being backup eligible', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const absent = await expectError(
      await verifyAssertion(await assertionFor(authenticator, undefined, { ceremony: { up: false } })),
      401,
      'invalid_credentials',
    )
    expect(absent.detail).toMatch(/did not test user presence/)
    const bsOnly = await expectError(
      await verifyAssertion(await assertionFor(authenticator, undefined, { ceremony: { extraFlags: 0x10 } })),
      401,
      'invalid_credentials',
    )
    expect(bsOnly.detail).toMatch(MALFORMED)
  })

  it('refuses signed bytes after the authenticator data that the flags do not announce', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const assertion = await assertionFor(authenticator, undefined, { ceremony: { authDataSuffix: new Uint8Array([0xa0]) } })
    const body = await expectError(await verifyAssertion(assertion), 401, 'invalid_credentials')
    expect(body.detail).toMatch(MALFORMED)
    // With the ED flag (0x80) the same bytes are an (empty) extensions map: accepted.
    const announced = await assertionFor(authenticator, undefined, {
      ceremony: { extraFlags: 0x80, authDataSuffix: new Uint8Array([0xa0]) },
    })
    expect((await verifyAssertion(announced)).status).toBe(200)
  })

  it('refuses a registration whose id is not the credential id in its authenticator data', async () => {
    const user = await activeUser(box)
    const credential = await (await softAuthenticator()).create(await json(await creationOptions(user.access_token)))
    const other = `${credential.id.slice(0, -2)}${credential.id.endsWith('AA') ? 'BA' : 'AA'}`
    const body = await expectError(
      await addPasskey(user.access_token, { credential: { ...credential, id: other, rawId: other } }),
      400,
      'validation_error',
    )
    expect(body.fields.credential).toMatch(MALFORMED)
  })

  it('refuses a registration answered with a sign-in (webauthn.get) client data', async () => {
    const user = await activeUser(box)
    const credential = await (await softAuthenticator()).create(await json(await creationOptions(user.access_token)))
    const clientData = JSON.parse(atob(credential.response.clientDataJSON.replace(/-/g, '+').replace(/_/g, '/')))
    const swapped = btoa(JSON.stringify({ ...clientData, type: 'webauthn.get' }))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    const body = await expectError(
      await addPasskey(user.access_token, {
        credential: { ...credential, response: { ...credential.response, clientDataJSON: swapped } },
      }),
      400,
      'validation_error',
    )
    expect(body.fields.credential).toMatch(/the other ceremony/)
  })
})
