import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src'
import { call, envWith, expectError, json } from '../helpers/app'
import { emailUser, lastEmail, linkIn, linkRows, userRow } from '../helpers/email'
import { newEmail, newPhone, PASSWORD, signUp } from '../helpers/factories'
import { fakeFetch, useFakeFetch } from '../helpers/fake-fetch'
import { type ParsedPage, parsePage, urlAttributes } from '../helpers/html'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { expectSessionAlive, expectSessionDead, getMe } from '../helpers/sessions'

const box = useOutbox({ quietErrors: true })

// A register code, then a login or reset code, go to the same address at once: no cooldown here.
const VARS = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const RESEND = { ...VARS, EMAIL_PROVIDER: 'resend', RESEND_API_KEY: 'k' }
const NEW_PASSWORD = 'Carthage-Vent7-2027'
const FORM = 'application/x-www-form-urlencoded'
const RESET_PATH = '/api/v1/auth/email/reset'

const post = (path: string, body: unknown, opts: { token?: string; env?: Record<string, string> } = {}) =>
  call('POST', path, { json: body, env: opts.env ?? VARS, ip: newIp(), ...(opts.token ? { token: opts.token } : {}) })
const login = (body: Record<string, unknown>) => post('/api/v1/auth/login', body)
// SPEC §6.2: changing the email needs the password re-entered.
const patchMe = (token: string, body: object, vars: Record<string, string> = VARS) =>
  call('PATCH', '/api/v1/me', { token, json: { current_password: PASSWORD, ...body }, env: vars, ip: newIp() })
const open = (path: string, headers: Record<string, string> = {}) => call('GET', path, { headers, env: VARS })
const postForm = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  call('POST', RESET_PATH, {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': FORM, ...headers },
    env: VARS,
  })
/** The "Confirm my email" button of a verification link's page: a form post of its token (SPEC §6.6). */
const confirmLink = (token: string) =>
  call('POST', '/api/v1/auth/email/verify', {
    body: new URLSearchParams({ token }).toString(),
    headers: { 'content-type': FORM },
    env: VARS,
  })

/** POST /reset-password with an email; returns the emailed code and link. */
async function resetLink(email: string) {
  const res = await post('/api/v1/auth/reset-password', { email })
  expect(res.status).toBe(202)
  const text = lastEmail(box, email)
  return { ...linkIn(text, 'reset'), code: box.lastCode(email), text }
}

/** An HTML page answer: status, content type, security headers; returns the parsed page. */
async function expectPage(res: Response, status: number, heading: string): Promise<ParsedPage> {
  const html = await res.text()
  expect(res.status, html).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^text\/html\b/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('referrer-policy')).toBe('no-referrer')
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
  expect(html).not.toMatch(/<script/i)
  const page = await parsePage(html)
  expect(page.all('h1')).toHaveLength(1)
  expect(page.text('h1')).toBe(heading)
  return page
}

const expectFailurePage = (res: Response, heading = 'Reset link not valid') => expectPage(res, 400, heading)

describe('email as a first-class identifier', () => {
  it('registers with an email only, emails the code, and /verify activates the account', async () => {
    const email = newEmail()
    const reg = await post('/api/v1/auth/register', { email, password: PASSWORD })
    expect(reg.status).toBe(201)
    expect(await json(reg)).toMatchObject({ channel: 'email', expires_in: 600 })
    expect(box.to(email)).toHaveLength(1)
    expect(box.to(email)[0]?.channel).toBe('email')

    const res = await post('/api/v1/auth/verify', { email, code: box.lastCode(email) })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ token_type: 'bearer', access_token: expect.any(String), refresh_token: expect.any(String) })
    expect(body.user).toMatchObject({
      email,
      phone: null,
      email_verified: true,
      phone_verified: false,
      is_verified: true,
      status: 'active',
    })
  })

  it('logs in with the email and the password', async () => {
    const { email, user } = await emailUser(box, VARS)
    const res = await login({ email: email.toUpperCase(), password: PASSWORD })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ id: user.id, email })
  })

  it('logs in with a code sent by email (use_otp) and /verify', async () => {
    const { email, user } = await emailUser(box, VARS)
    const res = await login({ email, use_otp: true })
    expect(res.status).toBe(202)
    expect(box.to(email)).toHaveLength(2)
    const verified = await post('/api/v1/auth/verify', { email, code: box.lastCode(email) })
    expect(verified.status).toBe(200)
    expect((await json(verified)).user).toMatchObject({ id: user.id, email })
  })

  it('resets by email: 202, an email with a code and a reset link, and the code works at /confirm-reset', async () => {
    const { email } = await emailUser(box, VARS)
    const { text, code, url } = await resetLink(email)
    expect(url).toMatch(/^http:\/\/localhost:8787\/api\/v1\/auth\/email\/reset\?token=[A-Za-z0-9_-]{20,}$/)
    expect(text).toContain(code)

    const res = await post('/api/v1/auth/confirm-reset', { email, code, new_password: NEW_PASSWORD })
    expect(res.status).toBe(200)
    expect((await login({ email, password: NEW_PASSWORD })).status).toBe(200)
    await expectError(await login({ email, password: PASSWORD }), 401, 'invalid_credentials')
  })

  it('a reset done with the emailed code retires the link sent with it', async () => {
    const { email } = await emailUser(box, VARS)
    const { path, token, code } = await resetLink(email)
    expect((await post('/api/v1/auth/confirm-reset', { email, code, new_password: NEW_PASSWORD })).status).toBe(200)
    await expectFailurePage(await open(path))
    await expectFailurePage(await postForm({ token, new_password: 'Another-Passw0rd-9' }))
    expect((await login({ email, password: NEW_PASSWORD })).status).toBe(200)
  })

  it('a reset done with the link kills the code sent with it, and a code sent by text', async () => {
    const { email } = await emailUser(box, VARS)
    // The same account also holds a verified phone.
    const phone = newPhone()
    await env.DB.prepare('UPDATE users SET phone = ?, phone_verified = 1 WHERE email = ?').bind(phone, email).run()
    const { token, code } = await resetLink(email)
    expect((await post('/api/v1/auth/reset-password', { phone })).status).toBe(202)
    const texted = box.lastCode(phone)
    expect((await postForm({ token, new_password: NEW_PASSWORD })).status).toBe(200)
    for (const [who, guess] of [
      [{ email }, code],
      [{ phone }, texted],
    ] as const) {
      await expectError(
        await post('/api/v1/auth/confirm-reset', { ...who, code: guess, new_password: 'Another-Passw0rd-9' }),
        400,
        'invalid_code',
      )
    }
    expect((await login({ email, password: NEW_PASSWORD })).status).toBe(200)
  })

  it('answers an unknown email like a known one and sends it nothing', async () => {
    const { email } = await emailUser(box, VARS)
    const unknown = newEmail()
    const known = await post('/api/v1/auth/reset-password', { email })
    const stranger = await post('/api/v1/auth/reset-password', { email: unknown })
    expect(stranger.status).toBe(202)
    expect(await json(stranger)).toEqual(await json(known))
    expect(box.to(unknown)).toHaveLength(0)
  })
})

describe('the reset link page', () => {
  it('serves an accessible form with a strict CSP, no script and no external URL', async () => {
    const { email } = await emailUser(box, VARS)
    const { path, token } = await resetLink(email)
    const res = await open(path)
    const csp = res.headers.get('content-security-policy') ?? ''
    const page = await expectPage(res, 200, 'Choose a new password')

    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/) as [string, ...string[]])
        .map(([k, ...v]) => [k, v]),
    )
    expect(directives['default-src']).toEqual(["'none'"])
    expect(directives['style-src']).toHaveLength(1)
    expect(directives['style-src']?.[0]).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/)
    expect(directives['form-action']).toEqual(["'self'"])
    expect(directives).not.toHaveProperty('script-src')

    const [form, ...more] = page.all('form')
    expect(more).toHaveLength(0)
    expect(form?.attrs).toMatchObject({ method: 'post', action: '/api/v1/auth/email/reset?ui_locales=en' })
    const inputs = page.all('input')
    expect(inputs.find((i) => i.attrs.name === 'token')?.attrs).toMatchObject({ type: 'hidden', value: token })
    const password = inputs.find((i) => i.attrs.name === 'new_password')
    expect(password?.attrs).toMatchObject({ type: 'password', autocomplete: 'new-password' })
    const label = page.all('label').find((l) => l.attrs.for === password?.attrs.id)
    expect(label).toBeDefined()
    expect(page.text('label')).toBe('New password')
    expect(page.all('html')[0]?.attrs.lang).toBe('en')
    expect(page.text('title')).toContain('edge-auth')

    expect(page.all('script')).toHaveLength(0)
    for (const value of urlAttributes(page)) expect(value).not.toMatch(/^\s*(https?:)?\/\//i)
  })

  it('changes the password from the form, shows "Password changed" and signs every session out', async () => {
    const { email, access_token, refresh_token } = await emailUser(box, VARS)
    const other = await json(await login({ email, password: PASSWORD }))
    const { token } = await resetLink(email)

    const page = await expectPage(await postForm({ token, new_password: NEW_PASSWORD }), 200, 'Password changed')
    expect(page.text('[role=status]')).toMatch(/password has been changed/)

    const res = await login({ email, password: NEW_PASSWORD })
    expect(res.status).toBe(200)
    await expectError(await login({ email, password: PASSWORD }), 401, 'invalid_credentials')
    await expectSessionDead({ access_token, refresh_token }, VARS)
    await expectSessionDead(other, VARS)
  })

  it('is single use: the used link shows the failure page, on GET and on POST', async () => {
    const { email } = await emailUser(box, VARS)
    const { path, token } = await resetLink(email)
    expect((await postForm({ token, new_password: NEW_PASSWORD })).status).toBe(200)

    const again = await expectFailurePage(await open(path))
    expect(again.text('[role=alert]')).toMatch(/invalid, has expired or was already used/)
    expect(again.all('form')).toHaveLength(0)
    await expectFailurePage(await postForm({ token, new_password: 'Another-Passw0rd-9' }))
    expect((await login({ email, password: NEW_PASSWORD })).status).toBe(200)
  })

  it('re-renders the form with the error when the password is refused, and the link still works', async () => {
    const { email } = await emailUser(box, VARS)
    const { path, token } = await resetLink(email)

    const page = await expectPage(await postForm({ token, new_password: 'password' }), 400, 'Choose a new password')
    expect(page.text('[role=alert]')).not.toBe('')
    expect(page.all('p').find((p) => p.attrs.role === 'alert')?.attrs.id).toBeDefined()
    expect(page.all('input').find((i) => i.attrs.name === 'token')?.attrs.value).toBe(token)
    expect(page.all('input').find((i) => i.attrs.name === 'new_password')?.attrs['aria-invalid']).toBe('true')

    expect((await open(path)).status).toBe(200)
    await expectPage(await postForm({ token, new_password: NEW_PASSWORD }), 200, 'Password changed')
    expect((await login({ email, password: NEW_PASSWORD })).status).toBe(200)
  })

  it('answers JSON when asked: { valid: true } while live, 400 invalid_code once used', async () => {
    const { email } = await emailUser(box, VARS)
    const { path, token } = await resetLink(email)
    const accept = { accept: 'application/json' }
    const live = await open(path, accept)
    expect(live.status).toBe(200)
    expect(await json(live)).toEqual({ valid: true })

    const done = await call('POST', RESET_PATH, { json: { token, new_password: NEW_PASSWORD }, env: VARS })
    expect(done.status).toBe(200)
    expect(done.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await json(done)).toEqual({ message: expect.any(String), detail: expect.any(String) })
    expect((await login({ email, password: NEW_PASSWORD })).status).toBe(200)

    await expectError(await open(path, accept), 400, 'invalid_code')
    await expectError(
      await call('POST', RESET_PATH, { json: { token, new_password: 'Another-Passw0rd-9' }, env: VARS }),
      400,
      'invalid_code',
    )
  })

  it('answers JSON to a form post that asks for JSON', async () => {
    const { email } = await emailUser(box, VARS)
    const { token } = await resetLink(email)
    const res = await postForm({ token, new_password: NEW_PASSWORD }, { accept: 'application/json' })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ message: expect.any(String), detail: expect.any(String) })
  })

  it('shows the failure page, or a 400, for a malformed or unknown token', async () => {
    await expectFailurePage(await open(`${RESET_PATH}?token=short`))
    await expectFailurePage(await open(RESET_PATH))
    await expectFailurePage(await postForm({ token: 'short', new_password: NEW_PASSWORD }))
    await expectFailurePage(await postForm({ token: 'x'.repeat(43), new_password: NEW_PASSWORD }))
    await expectError(await open(`${RESET_PATH}?token=short`, { accept: 'application/json' }), 400, 'invalid_code')
    await expectError(
      await call('POST', RESET_PATH, { json: { token: 'short', new_password: NEW_PASSWORD }, env: VARS }),
      400,
      'validation_error',
    )
    await expectError(
      await call('POST', RESET_PATH, { json: { token: 'x'.repeat(43), new_password: NEW_PASSWORD }, env: VARS }),
      400,
      'invalid_code',
    )
  })

  it('shows the failure page, not the form, for a dead link with a refused password', async () => {
    const { email } = await emailUser(box, VARS)
    const { token } = await resetLink(email)
    expect((await postForm({ token, new_password: NEW_PASSWORD })).status).toBe(200)
    await expectFailurePage(await postForm({ token, new_password: 'password' }))
    await expectFailurePage(await postForm({ token: 'y'.repeat(43), new_password: 'password' }))
  })

  it('refuses other body types with 415', async () => {
    const res = await call('POST', RESET_PATH, { body: 'token=x', headers: { 'content-type': 'text/plain' }, env: VARS })
    await expectError(res, 415, 'unsupported_media_type')
  })

  it('stops an older reset link when a newer one is issued', async () => {
    const { email } = await emailUser(box, VARS)
    const first = await resetLink(email)
    const second = await resetLink(email)
    expect(second.token).not.toBe(first.token)
    await expectFailurePage(await open(first.path))
    await expectFailurePage(await postForm({ token: first.token, new_password: NEW_PASSWORD }))
    await expectPage(await open(second.path), 200, 'Choose a new password')
    await expectPage(await postForm({ token: second.token, new_password: NEW_PASSWORD }), 200, 'Password changed')
  })

  it("stops a reset link once the account's email has changed", async () => {
    const { email, access_token } = await emailUser(box, VARS)
    const { path, token } = await resetLink(email)
    const next = newEmail()
    expect((await patchMe(access_token, { email: next })).status).toBe(200)
    // SPEC §6.2: the new email replaces the old one once confirmed.
    expect((await post('/api/v1/auth/email/verify', { code: box.lastCode(next) }, { token: access_token })).status).toBe(200)
    await expectFailurePage(await open(path))
    await expectFailurePage(await postForm({ token, new_password: NEW_PASSWORD }))
    expect((await login({ email, password: PASSWORD })).status).toBe(401)
  })
})

describe('the email verification link', () => {
  it('PATCH /me emails a code and a link; the link verifies the email once', async () => {
    const { access_token, user } = await activeUser(box, { env: VARS })
    const email = newEmail()
    const res = await patchMe(access_token, { email })
    expect(res.status).toBe(200)
    // SPEC §6.2: pending until confirmed.
    expect(await json(res)).toMatchObject({ email: null, pending_email: email, email_verified: false, phone_verified: true })
    expect(await userRow(user.id)).toMatchObject({ email: null, email_verified: 0 })

    const text = lastEmail(box, email)
    const link = linkIn(text, 'verify')
    expect(text).toContain(box.lastCode(email))

    // SPEC §6.6 (issue 14): opening the link shows a confirm page and changes nothing; its button verifies.
    await expectPage(await open(link.path), 200, 'Confirm your email')
    expect(await userRow(user.id)).toMatchObject({ email: null, email_verified: 0 })
    const page = await expectPage(await confirmLink(link.token), 200, 'Email verified')
    expect(page.text('[role=status]')).toMatch(/verified/)
    expect(await userRow(user.id)).toMatchObject({ email, email_verified: 1 })
    expect(await json(await getMe(access_token))).toMatchObject({ email, email_verified: true })

    await expectFailurePage(await confirmLink(link.token), 'Email not verified')
    await expectFailurePage(await open(link.path), 'Email not verified')
  })

  it('answers JSON when asked: { message, user }, then 400 invalid_code', async () => {
    const { access_token, user } = await activeUser(box, { env: VARS })
    const email = newEmail()
    expect((await patchMe(access_token, { email })).status).toBe(200)
    const link = linkIn(lastEmail(box, email), 'verify')
    const accept = { accept: 'application/json' }

    // SPEC §6.6 (issue 14): GET only tells the link is live; POST { token } verifies.
    expect(await json(await open(link.path, accept))).toEqual({ valid: true })
    const res = await post('/api/v1/auth/email/verify', { token: link.token })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toEqual({ message: 'Email verified', user: expect.any(Object) })
    expect(body.user).toMatchObject({ id: user.id, email, email_verified: true })
    await expectError(await post('/api/v1/auth/email/verify', { token: link.token }), 400, 'invalid_code')
    await expectError(await open(link.path, accept), 400, 'invalid_code')
    await expectError(await open('/api/v1/auth/email/verify?token=short', accept), 400, 'invalid_code')
    await expectFailurePage(await open('/api/v1/auth/email/verify?token=short'), 'Email not verified')
  })

  it('verify-request sends a new email; its code verifies at POST /auth/email/verify', async () => {
    const { access_token, user } = await activeUser(box, { env: VARS })
    const email = newEmail()
    expect((await patchMe(access_token, { email })).status).toBe(200)
    const first = linkIn(lastEmail(box, email), 'verify')

    const res = await post('/api/v1/auth/email/verify-request', undefined, { token: access_token })
    expect(res.status).toBe(202)
    expect(await json(res)).toEqual({ message: expect.any(String), detail: expect.any(String) })
    expect(box.to(email)).toHaveLength(2)
    const second = linkIn(lastEmail(box, email), 'verify')
    expect(second.token).not.toBe(first.token)
    // Only the newest link is live.
    await expectFailurePage(await open(first.path), 'Email not verified')

    const verified = await post('/api/v1/auth/email/verify', { code: box.lastCode(email) }, { token: access_token })
    expect(verified.status).toBe(200)
    expect(await json(verified)).toMatchObject({ id: user.id, email, email_verified: true })
    expect(await userRow(user.id)).toMatchObject({ email_verified: 1 })

    await expectError(
      await post('/api/v1/auth/email/verify-request', undefined, { token: access_token }),
      400,
      'validation_error',
    )
  })

  it('verify-request needs a sign-in and an email', async () => {
    const { access_token } = await activeUser(box, { env: VARS })
    const noEmail = await expectError(
      await post('/api/v1/auth/email/verify-request', undefined, { token: access_token }),
      400,
      'validation_error',
    )
    expect(noEmail.fields).toHaveProperty('email')
    await expectError(await post('/api/v1/auth/email/verify-request', undefined), 401, 'unauthorized')
  })

  it('refuses a wrong code at POST /auth/email/verify', async () => {
    const { access_token } = await activeUser(box, { env: VARS })
    const email = newEmail()
    expect((await patchMe(access_token, { email })).status).toBe(200)
    const code = box.lastCode(email)
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')
    await expectError(await post('/api/v1/auth/email/verify', { code: wrong }, { token: access_token }), 400, 'invalid_code')
    expect((await json(await getMe(access_token))).email_verified).toBe(false)
  })

  it("does not verify once the account's email has changed since the link was sent", async () => {
    const { access_token, user } = await activeUser(box, { env: VARS })
    const first = newEmail()
    const second = newEmail()
    expect((await patchMe(access_token, { email: first })).status).toBe(200)
    const firstLink = linkIn(lastEmail(box, first), 'verify')
    expect((await patchMe(access_token, { email: second })).status).toBe(200)

    await expectFailurePage(await open(firstLink.path), 'Email not verified')
    await expectFailurePage(await confirmLink(firstLink.token), 'Email not verified')
    expect(await userRow(user.id)).toMatchObject({ email: null, email_verified: 0 })
    await expectPage(await confirmLink(linkIn(lastEmail(box, second), 'verify').token), 200, 'Email verified')
  })

  it('does not verify an email changed behind the link (by an admin, say)', async () => {
    const email = newEmail()
    // The account's own unverified email (given at registration), changed in D1 behind the link.
    const { access_token, user } = await signUp(box, { email, env: VARS })
    expect((await post('/api/v1/auth/email/verify-request', undefined, { token: access_token })).status).toBe(202)
    const link = linkIn(lastEmail(box, email), 'verify')
    const other = newEmail()
    await env.DB.prepare('UPDATE users SET email = ? WHERE id = ?').bind(other, user.id).run()

    await expectFailurePage(await confirmLink(link.token), 'Email not verified')
    expect(await userRow(user.id)).toMatchObject({ email: other, email_verified: 0 })
  })
})

describe('email_delivery_failed', () => {
  const resend = useFakeFetch('https://api.resend.com', () => Response.json({ id: 'e-1' }))

  it('PATCH /me answers 503 when Resend fails twice, and changes nothing: no email, no link', async () => {
    const { access_token, user } = await activeUser(box, { env: VARS })
    const email = newEmail()
    resend.reply(500, 500)
    await expectError(await patchMe(access_token, { email }, RESEND), 503, 'email_delivery_failed')
    expect(resend.requests).toHaveLength(2)
    expect(await userRow(user.id)).toMatchObject({ email: null, email_verified: 0 })
    expect(await linkRows(user.id)).toHaveLength(0)

    const sent = JSON.parse(resend.requests[0]?.body ?? '{}')
    expect(sent.to).toEqual([email])
    const link = linkIn(sent.text, 'verify')
    await expectFailurePage(await open(link.path), 'Email not verified')
  })

  it("keeps the pending link of the account's current email when a change to another one fails", async () => {
    const { access_token, user } = await activeUser(box, { env: VARS })
    const current = newEmail()
    expect((await patchMe(access_token, { email: current })).status).toBe(200)
    const link = linkIn(lastEmail(box, current), 'verify')

    resend.reply(500, 500)
    await expectError(await patchMe(access_token, { email: newEmail() }, RESEND), 503, 'email_delivery_failed')
    expect(await userRow(user.id)).toMatchObject({ email: null, email_verified: 0 })
    expect(await json(await getMe(access_token))).toMatchObject({ pending_email: current })

    await expectPage(await confirmLink(link.token), 200, 'Email verified')
    expect(await userRow(user.id)).toMatchObject({ email: current, email_verified: 1 })
  })
})

describe('HTML injection', () => {
  const NAME = '<img src=x onerror=alert(1)>'

  it('escapes a name in the HTML part of the email', async () => {
    // SPEC §6.6: only mail to a verified address may carry the name, so the reset mail is the one to look at.
    const { email } = await emailUser(box, VARS, { name: NAME })
    const resend = fakeFetch('https://api.resend.com', () => Response.json({ id: 'e-1' })).install()
    try {
      expect((await post('/api/v1/auth/reset-password', { email }, { env: RESEND })).status).toBe(202)
      expect(resend.requests).toHaveLength(1)
      const sent = JSON.parse(resend.requests[0]?.body ?? '{}')
      expect(sent.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
      expect(sent.html).not.toContain('<img src=x')
      expect(sent.html).not.toMatch(/<img/i)
      // The text part is plain text; there it may stand as typed.
      expect(sent.text).toContain(NAME)
    } finally {
      resend.restore()
    }
  })

  it('never reflects a posted token into the page', async () => {
    const res = await postForm({ token: '"><script>alert(1)</script>', new_password: NEW_PASSWORD })
    const html = await res.clone().text()
    await expectFailurePage(res)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toContain('alert(1)')
  })

  it('never reflects a token from the query into the page', async () => {
    const res = await open(`${RESET_PATH}?token=${encodeURIComponent('"><script>alert(1)</script>')}`)
    const html = await res.clone().text()
    await expectFailurePage(res)
    expect(html).not.toContain('alert(1)')
  })
})

describe('notices', () => {
  it('emails a verified address that its password was changed, after the response', async () => {
    const { email, access_token } = await emailUser(box, VARS)
    const resend = fakeFetch('https://api.resend.com').install()
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let delivered = false
    resend.reply(async () => {
      await gate
      delivered = true
      return Response.json({ id: 'e-2' })
    })
    const ctx = createExecutionContext()
    try {
      const req = new Request('http://localhost/api/v1/auth/change-password', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}`, 'cf-connecting-ip': newIp() },
        body: JSON.stringify({ old_password: PASSWORD, new_password: NEW_PASSWORD }),
      })
      const res = await worker.fetch(req, envWith(RESEND), ctx)
      expect(res.status).toBe(200)
      // The answer did not wait for the provider.
      expect(delivered).toBe(false)
    } finally {
      release()
      await waitOnExecutionContext(ctx)
      resend.restore()
    }
    expect(delivered).toBe(true)
    expect(resend.requests).toHaveLength(1)
    const sent = JSON.parse(resend.requests[0]?.body ?? '{}')
    expect(sent.to).toEqual([email])
    expect(sent.subject).toBe('Your edge-auth password was changed')
    expect(sent.text).toMatch(/password of your edge-auth account was changed/)
    expect(sent.html).toMatch(/password of your edge-auth account was changed/)
  })

  it('sends the change notice to a verified email with the console provider too', async () => {
    const { email, access_token } = await emailUser(box, VARS)
    const res = await post(
      '/api/v1/auth/change-password',
      { old_password: PASSWORD, new_password: NEW_PASSWORD },
      { token: access_token },
    )
    expect(res.status).toBe(200)
    expect(box.to(email)).toHaveLength(2)
    expect(lastEmail(box, email)).toMatch(/password of your edge-auth account was changed/)
  })

  it('sends nothing to an unverified email', async () => {
    const { access_token } = await activeUser(box, { env: VARS })
    const email = newEmail()
    expect((await patchMe(access_token, { email })).status).toBe(200)
    const before = box.messages().length
    const res = await post(
      '/api/v1/auth/change-password',
      { old_password: PASSWORD, new_password: NEW_PASSWORD },
      { token: access_token },
    )
    expect(res.status).toBe(200)
    expect(box.messages()).toHaveLength(before)
    expect(box.to(email)).toHaveLength(1)
  })

  it('emails a notice after a reset through the link', async () => {
    const { email } = await emailUser(box, VARS)
    const { token } = await resetLink(email)
    expect((await postForm({ token, new_password: NEW_PASSWORD })).status).toBe(200)
    expect(lastEmail(box, email)).toMatch(/password of your edge-auth account was reset/)
  })
})

describe('a session survives what does not concern it', () => {
  it('keeps sessions alive when a reset link is only opened, not used', async () => {
    const { email, access_token, refresh_token } = await emailUser(box, VARS)
    const { path } = await resetLink(email)
    expect((await open(path)).status).toBe(200)
    await expectSessionAlive({ access_token, refresh_token }, VARS)
  })
})
