import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { tokenOfSessionOpenedAgo } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { totpCode } from '../helpers/mfa'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { addPasskey, creationOptions } from '../helpers/passkeys'
import { softAuthenticator } from '../helpers/webauthn'

// A stolen access token must not add a second factor the owner does not hold (TOTP the thief
// scanned, or the thief's passkey): that would lock the owner out, or let the thief in for good.
// Both need a sign-in within the last 5 minutes (the session's auth_time), as a passwordless
// contact change does (SPEC §6.2).

const box = useOutbox()
const API = '/api/v1'
const SIX_MINUTES = 6 * 60_000

const passkeyRows = (userId: string) =>
  env.DB.prepare('SELECT count(*) AS n FROM passkeys WHERE user_id = ?').bind(userId).first<{ n: number }>()

describe('adding a second factor needs a recent sign-in', () => {
  it('TOTP: a session signed in 6 minutes ago cannot turn it on; a fresh one can', async () => {
    const user = await activeUser(box)
    const stale = await tokenOfSessionOpenedAgo(user.access_token, SIX_MINUTES)
    const started = await json(await call('POST', `${API}/me/mfa/totp`, { token: stale }))
    const refused = await expectError(
      await call('POST', `${API}/me/mfa/totp/confirm`, { token: stale, json: { code: totpCode(started.secret) } }),
      403,
      'reauthentication_required',
    )
    expect(refused.detail).toMatch(/sign in again/i)
    expect(await json(await call('GET', `${API}/me/mfa`, { token: user.access_token }))).toMatchObject({ totp: 'pending' })
    const accepted = await call('POST', `${API}/me/mfa/totp/confirm`, {
      token: user.access_token,
      json: { code: totpCode(started.secret) },
    })
    expect(accepted.status).toBe(200)
  })

  it('TOTP: a refreshed access token does not make an old sign-in recent', async () => {
    const user = await activeUser(box)
    const stale = await tokenOfSessionOpenedAgo(user.access_token, SIX_MINUTES)
    // The stale session's auth_time is what counts, not the token's iat (minted just now).
    const started = await json(await call('POST', `${API}/me/mfa/totp`, { token: stale }))
    await expectError(
      await call('POST', `${API}/me/mfa/totp/confirm`, { token: stale, json: { code: totpCode(started.secret) } }),
      403,
      'reauthentication_required',
    )
  })

  it('passkeys: a session signed in 6 minutes ago cannot add one; a fresh one can', async () => {
    const user = await activeUser(box)
    const stale = await tokenOfSessionOpenedAgo(user.access_token, SIX_MINUTES)
    const authenticator = await softAuthenticator()
    const options = await json(await creationOptions(stale))
    const credential = await authenticator.create(options)
    await expectError(await addPasskey(stale, { credential }), 403, 'reauthentication_required')
    expect((await passkeyRows(user.user.id))?.n).toBe(0)

    const fresh = await authenticator.create(await json(await creationOptions(user.access_token)))
    expect((await addPasskey(user.access_token, { credential: fresh })).status).toBe(201)
    expect((await passkeyRows(user.user.id))?.n).toBe(1)
  })
})
