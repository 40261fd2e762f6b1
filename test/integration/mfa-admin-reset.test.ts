import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { createDb } from '../../src/storage/db/client'
import { secondFactorsRepo } from '../../src/storage/repos/second-factors'
import { call, expectError, json } from '../helpers/app'
import { allAuditRows, origin, readAudit } from '../helpers/audit'
import { emailUser } from '../helpers/email'
import { login, newEmail, PASSWORD } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { type Caller, type Cast, newCast } from '../helpers/iam'
import { claimsOf, enrolTotp, expectMfaRequired, mfaVerify, totpCode } from '../helpers/mfa'
import { activeUser } from '../helpers/otp'
import { useOutbox, withOutbox } from '../helpers/outbox'
import { assertionFor, enrol, verifyAssertion } from '../helpers/passkeys'
import { expectSessionDead, getMe } from '../helpers/sessions'
import { TWILIO } from '../helpers/sms'
import { createStaff } from '../helpers/staff'

// SPEC §14: an administrator's MFA reset, DELETE /users/{id}/mfa, for a user who lost both the
// authenticator app and the recovery codes. The hierarchy of POST /users/{id}/password; TOTP and
// its recovery codes go (passkeys only with `passkeys: true`) in one D1 batch; every session ends;
// audited as mfa_reset; the user is told by verified email, else by SMS, in their language.

const box = useOutbox()
const resend = useFakeFetch('https://resend.test', () => Response.json({ id: 'e-1' }))
const twilio = useFakeFetch('https://twilio.test')
type Vars = Record<string, string>
/** Notices through fakes of Resend and Twilio, to assert what each provider receives. */
const PROVIDERS: Vars = {
  ...TWILIO,
  EMAIL_PROVIDER: 'resend',
  RESEND_API_BASE: 'https://resend.test',
  RESEND_API_KEY: 're_secret',
  EMAIL_FROM: 'edge-auth <no-reply@auth.example.tn>',
}

/** DELETE /users/{id}/mfa as `actor` (no token without one), with `body` as JSON if given. */
const reset = (actor: Caller | undefined, id: string, body?: unknown, vars?: Vars) =>
  call('DELETE', `/api/v1/users/${id}/mfa`, { token: actor?.access_token, json: body, env: vars })

/** The second factors of a user as stored: its MFA bits, TOTP state, unused recovery codes and passkeys. */
async function factorsOf(id: string) {
  const [user, totp, codes, passkeys] = await env.DB.batch<Record<string, number | null>>([
    env.DB.prepare('SELECT mfa_methods AS m FROM users WHERE id = ?').bind(id),
    env.DB.prepare('SELECT enabled_at FROM totp_credentials WHERE user_id = ?').bind(id),
    env.DB.prepare('SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').bind(id),
    env.DB.prepare('SELECT count(*) AS n FROM passkeys WHERE user_id = ?').bind(id),
  ])
  const row = totp?.results[0]
  return {
    methods: user?.results[0]?.m,
    totp: !row ? 'off' : row.enabled_at === null ? 'pending' : 'on',
    codes: codes?.results[0]?.n,
    passkeys: passkeys?.results[0]?.n,
  }
}

const TOTP_ON = { methods: 1, totp: 'on', codes: 10, passkeys: 0 }
const NOTHING = { methods: 0, totp: 'off', codes: 0, passkeys: 0 }

/** An end user (phone + password) with TOTP on. */
async function totpUser() {
  const user = await activeUser(box)
  return { ...user, id: user.user.id as string, ...(await enrolTotp(user.access_token)) }
}

const passwordLogin = (phone: string) => login({ phone, password: PASSWORD })

/** A fresh hierarchy for the calling `describe` block (its tokens stay young), read once built. */
function useCast(): () => Cast {
  let cast: Cast | undefined
  beforeAll(async () => {
    cast = await withOutbox(newCast)
  })
  return () => {
    if (!cast) throw new Error('useCast: read before its beforeAll')
    return cast
  }
}

/** An end user, signed in, as a Caller. */
async function endUser(): Promise<Caller> {
  const user = await activeUser(box)
  return { id: user.user.id, access_token: user.access_token, refresh_token: user.refresh_token }
}

describe('an administrator resetting a user’s MFA', () => {
  const cast = useCast()
  it('turns TOTP off: a password sign-in no longer asks for a second factor, and every old session is dead', async () => {
    const user = await totpUser()
    await expectMfaRequired(await passwordLogin(user.phone))
    expect(await factorsOf(user.id)).toEqual(TOTP_ON)
    const res = await reset(cast().admin, user.id)
    expect(res.status, await res.clone().text()).toBe(204)
    expect(await res.text()).toBe('')
    expect(await factorsOf(user.id)).toEqual(NOTHING)
    await expectSessionDead(user)
    const signedIn = await passwordLogin(user.phone)
    expect(signedIn.status, await signedIn.clone().text()).toBe(200)
    expect(claimsOf((await json(signedIn)).access_token).amr).toEqual(['pwd'])
  })

  it('leaves the old secret and recovery codes worthless, even once TOTP is set up again', async () => {
    const user = await totpUser()
    expect((await reset(cast().admin, user.id)).status).toBe(204)
    const fresh = await json(await passwordLogin(user.phone))
    const again = await enrolTotp(fresh.access_token)
    expect(again.secret).not.toBe(user.secret)
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone))
    await expectError(await mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret) }), 400, 'invalid_code')
    await expectError(await mfaVerify({ mfa_token: mfaToken, recovery_code: user.recovery_codes[0] }), 400, 'invalid_code')
    const ok = await mfaVerify({ mfa_token: mfaToken, recovery_code: again.recovery_codes[0] })
    expect(ok.status, await ok.clone().text()).toBe(200)
  })

  it('keeps the passkeys without passkeys: true (they still sign in), and deletes every one with it', async () => {
    const user = await totpUser()
    const first = await enrol(user.access_token)
    await enrol(user.access_token)
    expect(await factorsOf(user.id)).toEqual({ ...TOTP_ON, methods: 3, passkeys: 2 })
    expect((await reset(cast().admin, user.id, { passkeys: false })).status).toBe(204)
    expect(await factorsOf(user.id)).toEqual({ ...NOTHING, methods: 2, passkeys: 2 })
    const signIn = await verifyAssertion(await assertionFor(first.authenticator))
    expect(signIn.status, await signIn.clone().text()).toBe(200)
    // TOTP is off already: without passkeys: true there is nothing left to reset.
    await expectError(await reset(cast().admin, user.id), 404, 'not_found')
    expect((await reset(cast().admin, user.id, { passkeys: true })).status).toBe(204)
    expect(await factorsOf(user.id)).toEqual(NOTHING)
    await expectError(await verifyAssertion(await assertionFor(first.authenticator)), 401, 'invalid_credentials')
  })

  it('answers 404 for a user with nothing to reset, changing nothing: sessions live, no audit, no message', async () => {
    const user = await activeUser(box)
    await enrol(user.access_token) // a passkey, but no TOTP
    box.clear()
    const body = await expectError(await reset(cast().admin, user.user.id), 404, 'not_found')
    expect(body.detail).toBe('This user has no TOTP to reset')
    expect((await getMe(user.access_token)).status).toBe(200)
    expect(box.messages()).toEqual([])
    const rows = await allAuditRows()
    expect(rows.filter((r) => r.subject_id === user.user.id && /mfa_reset|sessions_revoked/.test(String(r.type)))).toEqual([])
  })

  it('counts an enrolment not yet confirmed as nothing to reset, but drops it with the passkeys', async () => {
    const user = await activeUser(box)
    await enrol(user.access_token)
    expect((await call('POST', '/api/v1/me/mfa/totp', { token: user.access_token })).status).toBe(200)
    await expectError(await reset(cast().admin, user.user.id), 404, 'not_found')
    expect(await factorsOf(user.user.id)).toEqual({ ...NOTHING, methods: 2, totp: 'pending', passkeys: 1 })
    expect((await reset(cast().admin, user.user.id, { passkeys: true })).status).toBe(204)
    expect(await factorsOf(user.user.id)).toEqual(NOTHING)
    const [event] = (await readAudit(cast().admin.access_token, `user_id=${user.user.id}&type=mfa_reset`)).items
    expect(event?.detail).toEqual({ totp: 'pending', recovery_codes: 0, passkeys: 1 })
  })

  it('refuses a bad body with 400 (unknown field, not a boolean) and another content type with 415', async () => {
    const user = await totpUser()
    const unknown = await expectError(
      await reset(cast().admin, user.id, { passkeys: true, totp: false }),
      400,
      'validation_error',
    )
    expect(unknown.fields).toEqual({ totp: 'Unknown field' })
    const typed = await expectError(await reset(cast().admin, user.id, { passkeys: 'yes' }), 400, 'validation_error')
    expect(typed.fields).toHaveProperty('passkeys')
    const text = await call('DELETE', `/api/v1/users/${user.id}/mfa`, {
      token: cast().admin.access_token,
      body: 'passkeys=true',
      headers: { 'content-type': 'text/plain' },
    })
    await expectError(text, 415, 'unsupported_media_type')
    expect(await factorsOf(user.id)).toEqual(TOTP_ON)
  })
})

describe('who may reset whose MFA (the set-password hierarchy)', () => {
  const cast = useCast()
  // Targets with TOTP on, set up once: every row here is refused, so none changes what the next sees.
  let targets: Record<string, Caller>
  beforeAll(async () => {
    const c = cast()
    const peer = await createStaff(c.super_admin, 'admin')
    const sibling = await createStaff(c.client, 'subclient')
    const { end_user_phone: _, ...callers } = c
    targets = { ...callers, peer, sibling }
    for (const name of ['super_admin', 'admin', 'peer', 'subclient', 'sibling', 'other_client', 'other_subclient', 'end_user']) {
      await enrolTotp((targets[name] as Caller).access_token)
    }
  })

  type Who = 'admin' | 'client' | 'subclient' | 'end_user'
  const rows: Array<{ who: Who; target: string; status: number; code: string }> = [
    // A peer, a superior or oneself: hidden (404), as set-password does.
    { who: 'admin', target: 'super_admin', status: 404, code: 'not_found' },
    { who: 'admin', target: 'peer', status: 404, code: 'not_found' },
    { who: 'admin', target: 'admin', status: 404, code: 'not_found' },
    // A client acts only on its own sub-clients.
    { who: 'client', target: 'other_subclient', status: 404, code: 'not_found' },
    { who: 'client', target: 'other_client', status: 404, code: 'not_found' },
    { who: 'client', target: 'end_user', status: 404, code: 'not_found' },
    // Sub-clients and end users manage nobody: 403.
    { who: 'subclient', target: 'sibling', status: 403, code: 'forbidden' },
    { who: 'end_user', target: 'subclient', status: 403, code: 'forbidden' },
  ]
  const idOf = (name: string) => (targets[name] as Caller).id

  it.each(rows)('a $who on $target -> $status $code, TOTP untouched', async ({ who, target, status, code }) => {
    await expectError(await reset(cast()[who], idOf(target), { passkeys: true }), status, code)
    expect(await factorsOf(idOf(target))).toEqual(TOTP_ON)
  })

  it('answers an unknown id as another client’s sub-client (404), and no token with 401', async () => {
    await expectError(await reset(cast().client, 'no-such-id'), 404, 'not_found')
    await expectError(await reset(cast().admin, 'no-such-id'), 404, 'not_found')
    const res = await reset(undefined, cast().other_subclient.id)
    await expectError(res, 401, 'unauthorized')
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(await factorsOf(cast().other_subclient.id)).toEqual(TOTP_ON)
  })

  it('keeps the refused targets’ sessions alive', async () => {
    for (const name of ['super_admin', 'peer', 'other_client', 'other_subclient', 'end_user', 'sibling', 'subclient']) {
      expect((await getMe((targets[name] as Caller).access_token)).status, name).toBe(200)
    }
  })

  it.each<[string, () => Promise<{ actor: Caller; target: Caller }>]>([
    [
      'a super admin resets an admin',
      async () => ({ actor: cast().super_admin, target: await createStaff(cast().super_admin, 'admin') }),
    ],
    ['an admin resets a client', async () => ({ actor: cast().admin, target: await createStaff(cast().admin, 'client') })],
    [
      'an admin resets a sub-client',
      async () => ({ actor: cast().admin, target: await createStaff(cast().client, 'subclient') }),
    ],
    ['an admin resets an end user', async () => ({ actor: cast().admin, target: await endUser() })],
    [
      'a client resets its own sub-client',
      async () => ({ actor: cast().client, target: await createStaff(cast().client, 'subclient') }),
    ],
  ])('%s: 204, TOTP off, its sessions over', async (_name, make) => {
    const { actor, target } = await make()
    await enrolTotp(target.access_token)
    const res = await reset(actor, target.id)
    expect(res.status, await res.clone().text()).toBe(204)
    expect(await factorsOf(target.id)).toEqual(NOTHING)
    await expectSessionDead(target)
  })

  it('needs an MFA token of an admin in MFA_REQUIRED_ROLES, as the other staff routes do (403 mfa_required)', async () => {
    const target = await createStaff(cast().admin, 'client')
    await enrolTotp(target.access_token)
    await expectError(
      await reset(cast().admin, target.id, undefined, { MFA_REQUIRED_ROLES: 'super_admin,admin' }),
      403,
      'mfa_required',
    )
    expect(await factorsOf(target.id)).toEqual(TOTP_ON)
  })
})

describe('the audit log', () => {
  const cast = useCast()
  it('records mfa_reset with the actor, the subject and what went, never a secret; and the sessions it ended', async () => {
    const user = await totpUser()
    await enrol(user.access_token)
    const from = origin()
    const res = await call('DELETE', `/api/v1/users/${user.id}/mfa`, {
      token: cast().admin.access_token,
      json: { passkeys: true },
      ...from,
    })
    expect(res.status).toBe(204)
    const [event] = (await readAudit(cast().admin.access_token, `user_id=${user.id}&type=mfa_reset`)).items
    expect(event).toMatchObject({
      type: 'mfa_reset',
      actor_id: cast().admin.id,
      subject_id: user.id,
      ip: from.ip,
      user_agent: from.headers['user-agent'],
      detail: { totp: 'on', recovery_codes: 10, passkeys: 1 },
    })
    const [revoked] = (await readAudit(cast().admin.access_token, `user_id=${user.id}&type=sessions_revoked`)).items
    expect(revoked).toMatchObject({ actor_id: cast().admin.id, detail: { reason: 'mfa_reset', count: 1 } })
    const logged = JSON.stringify((await allAuditRows()).filter((r) => r.subject_id === user.id))
    for (const secret of [user.secret, ...user.recovery_codes]) expect(logged).not.toContain(secret)
  })
})

describe('the user is told, in their language', () => {
  const cast = useCast()
  /** Sets a user's language as an admin. */
  async function speak(id: string, locale: string) {
    expect((await call('PATCH', `/api/v1/users/${id}`, { token: cast().admin.access_token, json: { locale } })).status).toBe(200)
  }

  const EMAILS = {
    en: {
      subject: 'Two-step verification was turned off on your edge-auth account',
      text: [
        'Hello Leila,',
        '',
        'An administrator turned off two-step verification on your edge-auth account and signed out every session. Sign in and set it up again.',
        'If this was not you, reset your password now and contact support.',
      ],
    },
    fr: {
      subject: 'La validation en deux étapes de votre compte edge-auth a été désactivée',
      text: [
        'Bonjour Leila,',
        '',
        'Un administrateur a désactivé la validation en deux étapes de votre compte edge-auth et déconnecté toutes vos sessions. Connectez-vous pour la réactiver.',
        "Si ce n'était pas vous, réinitialisez votre mot de passe dès maintenant et contactez le support.",
      ],
    },
    ar: {
      subject: 'تم إيقاف التحقق بخطوتين لحسابك في edge-auth',
      text: [
        'مرحبًا Leila،',
        '',
        'أوقف أحد المسؤولين التحقق بخطوتين لحسابك في edge-auth، وتم تسجيل الخروج من جميع الجلسات. سجّل الدخول لتفعيله من جديد.',
        'إن لم تكن أنت من قام بذلك، فأعد تعيين كلمة المرور الآن وتواصل مع الدعم.',
      ],
    },
  }

  it.each(Object.entries(EMAILS))('by verified email (%s), and by no text message', async (locale, mail) => {
    const user = await emailUser(box, {}, { name: 'Leila' })
    await speak(user.user.id, locale)
    await enrolTotp(user.access_token)
    expect((await reset(cast().admin, user.user.id, undefined, PROVIDERS)).status).toBe(204)
    expect(resend.requests).toHaveLength(1)
    expect(JSON.parse(resend.requests[0]?.body ?? '{}')).toMatchObject({
      to: [user.email],
      subject: mail.subject,
      text: mail.text.join('\n'),
    })
    expect(twilio.requests).toEqual([])
  })

  const TEXTS = {
    en: 'An administrator turned off two-step verification on your edge-auth account; every session was signed out. Not you? Contact support.',
    fr: 'Un administrateur a désactivé la validation en 2 étapes de votre compte edge-auth et fermé vos sessions. Pas vous ? Contactez le support.',
    ar: 'أوقف مسؤول التحقق بخطوتين في edge-auth. لست أنت؟ اتصل بالدعم.',
  }

  it.each(Object.entries(TEXTS))('by SMS (%s) when no email is verified', async (locale, text) => {
    const user = await activeUser(box)
    await speak(user.user.id, locale)
    await enrolTotp(user.access_token)
    expect((await reset(cast().admin, user.user.id, undefined, PROVIDERS)).status).toBe(204)
    expect(twilio.requests).toHaveLength(1)
    expect(twilio.requests[0]?.form.get('To')).toBe(user.phone)
    expect(twilio.requests[0]?.form.get('Body')).toBe(text)
    expect(resend.requests).toEqual([])
  })

  it('sends nothing when neither an email nor a phone is verified', async () => {
    const target = await createStaff(cast().admin, 'client', { email: newEmail() })
    await enrolTotp(target.access_token)
    expect((await reset(cast().admin, target.id, undefined, PROVIDERS)).status).toBe(204)
    expect(resend.requests).toEqual([])
    expect(twilio.requests).toEqual([])
  })
})

describe('concurrency', () => {
  const cast = useCast()
  it('of two resets at once, one answers 204 and the other 404; one mfa_reset event', async () => {
    const user = await totpUser()
    const statuses = (await Promise.all([reset(cast().admin, user.id), reset(cast().super_admin, user.id)])).map((r) => r.status)
    expect(statuses.sort()).toEqual([204, 404])
    expect(await factorsOf(user.id)).toEqual(NOTHING)
    const rows = (await allAuditRows()).filter((r) => r.subject_id === user.id && r.type === 'mfa_reset')
    expect(rows).toHaveLength(1)
  })

  it.each([
    ['passkeys: false', false],
    ['passkeys: true', true],
  ])(
    'a reset (%s) racing a TOTP confirm leaves MFA on with its ten recovery codes, or off without any',
    async (_name, passkeys) => {
      const outcomes = new Set<string>()
      for (let round = 0; round < 3; round++) {
        const user = await activeUser(box)
        if (passkeys) await enrol(user.access_token)
        const started = await json(await call('POST', '/api/v1/me/mfa/totp', { token: user.access_token }))
        const confirm = () =>
          call('POST', '/api/v1/me/mfa/totp/confirm', { token: user.access_token, json: { code: totpCode(started.secret) } })
        // Either request first, by turns.
        const resetting = () => reset(cast().admin, user.user.id, { passkeys })
        const confirmed =
          round % 2 === 0 ? (await Promise.all([confirm(), resetting()]))[0] : (await Promise.all([resetting(), confirm()]))[1]
        const after = await factorsOf(user.user.id)
        const on = { methods: 1, totp: 'on', codes: 10, passkeys: 0 }
        expect([on, NOTHING], `${confirmed.status} ${JSON.stringify(after)}`).toContainEqual(after)
        outcomes.add(after.totp)
      }
      if (passkeys) expect([...outcomes]).toEqual(['off'])
    },
  )

  it('in storage, a confirm landing after the reset adds no codes and no bit; one landing before is undone whole', async () => {
    const repo = secondFactorsRepo(createDb(env.DB))
    const user = await endUser()
    const now = Date.now()
    const hashes = () => Array.from({ length: 10 }, () => crypto.randomUUID())
    expect(await repo.savePending({ userId: user.id, secret: 'v1.pending', now })).toBe(true)
    // The reset's batch, then the confirm's (its status read came before the reset).
    expect(await repo.reset({ userId: user.id, passkeys: false })).toEqual({ totp: 'pending', recoveryCodes: 0, passkeys: 0 })
    expect(await repo.enable({ userId: user.id, step: 1, proof: 'confirm-1', now, hashes: hashes() })).toBe(false)
    expect(await factorsOf(user.id)).toEqual(NOTHING)
    // The confirm's batch, then the reset's.
    expect(await repo.savePending({ userId: user.id, secret: 'v1.pending', now })).toBe(true)
    expect(await repo.enable({ userId: user.id, step: 2, proof: 'confirm-2', now, hashes: hashes() })).toBe(true)
    expect(await factorsOf(user.id)).toEqual(TOTP_ON)
    expect(await repo.reset({ userId: user.id, passkeys: false })).toEqual({ totp: 'on', recoveryCodes: 10, passkeys: 0 })
    expect(await factorsOf(user.id)).toEqual(NOTHING)
  })
})
