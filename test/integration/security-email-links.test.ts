import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { lastEmail, linkIn, linkRows, userRow } from '../helpers/email'
import { newEmail, PASSWORD } from '../helpers/factories'
import { parsePage, urlAttributes } from '../helpers/html'
import { retryAfter } from '../helpers/limits'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

const box = useOutbox()

const VARS = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const VERIFY = '/api/v1/auth/email/verify'
const FORM = 'application/x-www-form-urlencoded'
type Vars = Record<string, string>

const open = (path: string, opts: { method?: string; headers?: Record<string, string>; env?: Vars; ip?: string } = {}) =>
  call(opts.method ?? 'GET', path, { headers: opts.headers ?? {}, env: opts.env ?? VARS, ip: opts.ip ?? newIp() })
const postForm = (path: string, fields: Record<string, string>, opts: { env?: Vars; ip?: string } = {}) =>
  call('POST', path, {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': FORM },
    env: opts.env ?? VARS,
    ip: opts.ip ?? newIp(),
  })
const postJson = (path: string, body: unknown, opts: { env?: Vars; ip?: string; token?: string } = {}) =>
  call('POST', path, { json: body, env: opts.env ?? VARS, ip: opts.ip ?? newIp(), ...(opts.token ? { token: opts.token } : {}) })

/** A signed-in account holding an email it has not verified, and the verification link mailed to it. */
async function unverifiedEmail() {
  const signedIn = await activeUser(box, { env: VARS })
  const email = newEmail()
  await env.DB.prepare('UPDATE users SET email = ?, email_verified = 0 WHERE id = ?').bind(email, signedIn.user.id).run()
  const sent = await postJson(`${VERIFY}-request`, undefined, { token: signedIn.access_token })
  expect(sent.status).toBe(202)
  return { ...signedIn, email, link: linkIn(lastEmail(box, email), 'verify') }
}

const linkUsed = async (userId: string) =>
  (await linkRows(userId)).some((r) => r.purpose === 'email_verify' && r.used_at !== null)

describe('an email verification link fetched by a mail scanner (issue 14, SPEC §6.6)', () => {
  it('GET, HEAD and GET asking for JSON change nothing: the email stays unverified and the token unused', async () => {
    const { user, link } = await unverifiedEmail()
    expect((await open(link.path)).status).toBe(200)
    const head = await open(link.path, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    expect(await json(await open(link.path, { headers: { accept: 'application/json' } }))).toEqual({ valid: true })

    expect(await userRow(user.id)).toMatchObject({ email_verified: 0 })
    expect(await linkUsed(user.id)).toBe(false)
    // The token still works afterwards.
    expect((await postForm(VERIFY, { token: link.token })).status).toBe(200)
    expect(await userRow(user.id)).toMatchObject({ email_verified: 1 })
  })

  it('shows a small accessible confirm page: the token only in a hidden field, a keyboard-reachable button, no script or external asset', async () => {
    const { link } = await unverifiedEmail()
    const res = await open(link.path)
    const html = await res.text()
    expect(res.headers.get('content-type')).toMatch(/^text\/html\b/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'/,
    )
    expect(html).toMatch(/^<!doctype html>\n<html lang="en" dir="ltr">/)
    expect(html).not.toMatch(/<script|\son\w+=/i)

    const page = await parsePage(html)
    expect(page.all('h1')).toHaveLength(1)
    expect(page.text('h1')).toBe('Confirm your email')
    expect(page.text('title')).toMatch(/^Confirm your email · /)
    const [form, ...more] = page.all('form')
    expect(more).toHaveLength(0)
    expect(form?.attrs).toMatchObject({ method: 'post', action: `${VERIFY}?ui_locales=en` })
    expect(page.all('input')).toEqual([{ tag: 'input', attrs: { type: 'hidden', name: 'token', value: link.token } }])
    const [button] = page.all('button')
    expect(button?.attrs.type).toBe('submit')
    expect(button?.attrs).not.toHaveProperty('tabindex')
    expect(button?.attrs).not.toHaveProperty('disabled')
    expect(page.text('button')).toBe('Confirm my email')
    // The token appears once: in the hidden field (not in a link, a heading or a text).
    expect(html.split(link.token)).toHaveLength(2)
    expect(urlAttributes(page)).toEqual([`${VERIFY}?ui_locales=en`])
  })

  it('POST of the form verifies and shows "Email verified"; POST of JSON { token } answers { message, user }', async () => {
    const first = await unverifiedEmail()
    const res = await postForm(VERIFY, { token: first.link.token })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html\b/)
    expect((await parsePage(await res.text())).text('h1')).toBe('Email verified')
    expect(await userRow(first.user.id)).toMatchObject({ email_verified: 1 })

    const second = await unverifiedEmail()
    const answer = await postJson(VERIFY, { token: second.link.token })
    expect(answer.status).toBe(200)
    const body = await json(answer)
    expect(body).toEqual({ message: 'Email verified', user: expect.any(Object) })
    expect(body.user).toMatchObject({ id: second.user.id, email: second.email, email_verified: true })
  })

  it('a used or bad token on POST: the failure page for a form, 400 invalid_code for JSON', async () => {
    const { link } = await unverifiedEmail()
    expect((await postJson(VERIFY, { token: link.token })).status).toBe(200)
    const used = await postForm(VERIFY, { token: link.token })
    expect(used.status).toBe(400)
    expect((await parsePage(await used.text())).text('h1')).toBe('Email not verified')
    await expectError(await postJson(VERIFY, { token: link.token }), 400, 'invalid_code')
    await expectError(await postJson(VERIFY, { token: 'x'.repeat(43) }), 400, 'invalid_code')
    await expectError(await postJson(VERIFY, { token: 'short' }), 400, 'invalid_code')
    await expectError(await postJson(VERIFY, { token: 42 }), 400, 'invalid_code')
    const extra = await expectError(await postJson(VERIFY, { token: link.token, email_verified: true }), 400, 'validation_error')
    expect(extra.fields).toEqual({ email_verified: 'Unknown field' })
    expect((await postForm(VERIFY, {})).status).toBe(400)
    await expectError(
      await call('POST', VERIFY, { body: `token=${link.token}`, headers: { 'content-type': 'text/plain' }, token: 'x.y.z' }),
      401,
      'invalid_token',
    )
  })

  it('never reflects a token unescaped (XSS), from the query or a form', async () => {
    const evil = '"><script>alert(1)</script><a href="//evil.example">'
    for (const res of [await open(`${VERIFY}?token=${encodeURIComponent(evil)}`), await postForm(VERIFY, { token: evil })]) {
      const html = await res.text()
      expect(res.status).toBe(400)
      expect(html).not.toMatch(/<script|alert\(1\)|evil\.example/i)
    }
  })

  it('keeps the signed-in code route: POST { code } with a token verifies, without one is 401', async () => {
    const { access_token, email, user } = await unverifiedEmail()
    await expectError(await postJson(VERIFY, { code: box.lastCode(email) }), 401, 'unauthorized')
    const res = await postJson(VERIFY, { code: box.lastCode(email) }, { token: access_token })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ id: user.id, email_verified: true })
  })
})

describe('the reset link changes nothing until its form is posted (SPEC §6.6)', () => {
  it('GET and HEAD leave the link unused and the password unchanged; the POST then works', async () => {
    const { user, phone } = await activeUser(box, { env: VARS })
    const email = newEmail()
    await env.DB.prepare('UPDATE users SET email = ?, email_verified = 1 WHERE id = ?').bind(email, user.id).run()
    expect((await postJson('/api/v1/auth/reset-password', { email })).status).toBe(202)
    const link = linkIn(lastEmail(box, email), 'reset')
    expect((await open(link.path)).status).toBe(200)
    expect((await open(link.path, { method: 'HEAD' })).status).toBe(200)
    expect(await json(await open(link.path, { headers: { accept: 'application/json' } }))).toEqual({ valid: true })
    expect((await linkRows(user.id)).filter((r) => r.purpose === 'password_reset' && r.used_at !== null)).toHaveLength(0)
    expect((await postJson('/api/v1/auth/login', { phone, password: PASSWORD })).status).toBe(200)

    const res = await postForm('/api/v1/auth/email/reset', { token: link.token, new_password: 'Carthage-Vent7-2027' })
    expect(res.status).toBe(200)
  })
})

describe('per-IP limits on the email link endpoints (issue 14)', () => {
  const LIMIT = { ...VARS, AUTH_REQUESTS_PER_IP_PER_MINUTE: '2' }
  const token = 'a'.repeat(43)
  const attempts: [string, (ip: string) => Promise<Response>][] = [
    ['GET /verify', (ip) => open(`${VERIFY}?token=${token}`, { env: LIMIT, ip })],
    ['POST /verify', (ip) => postJson(VERIFY, { token }, { env: LIMIT, ip })],
    ['GET /reset', (ip) => open(`/api/v1/auth/email/reset?token=${token}`, { env: LIMIT, ip })],
    ['POST /reset', (ip) => postJson('/api/v1/auth/email/reset', { token, new_password: PASSWORD }, { env: LIMIT, ip })],
  ]

  it.each(attempts)('%s: over the limit, 429 rate_limited with Retry-After', async (_, attempt) => {
    const ip = newIp()
    for (let i = 0; i < 2; i++) expect((await attempt(ip)).status).toBe(400)
    const refused = await attempt(ip)
    expect(retryAfter(refused)).toBeGreaterThan(0)
    await expectError(refused, 429, 'rate_limited')
  })

  it('the four endpoints share one allowance, and a refused POST does not use the token', async () => {
    const { user, link } = await unverifiedEmail()
    const ip = newIp()
    expect((await open(link.path, { env: LIMIT, ip })).status).toBe(200)
    expect((await open(`/api/v1/auth/email/reset?token=${token}`, { env: LIMIT, ip })).status).toBe(400)
    await expectError(await postJson(VERIFY, { token: link.token }, { env: LIMIT, ip }), 429, 'rate_limited')
    expect(await linkUsed(user.id)).toBe(false)
    expect(await userRow(user.id)).toMatchObject({ email_verified: 0 })
    expect((await postJson(VERIFY, { token: link.token }, { env: LIMIT })).status).toBe(200)
  })
})

describe('the OpenAPI document matches these answers', () => {
  it('declares the pages’ HTML, the form and JSON bodies of POST /verify, and the 429s', async () => {
    const doc = await json(await call('GET', '/api/v1/openapi.json'))
    const verify = doc.paths['/api/v1/auth/email/verify']
    expect(Object.keys(verify.get.responses['200'].content)).toEqual(['text/html', 'application/json'])
    expect(verify.get.responses['400'].content).toHaveProperty('text/html')
    expect(Object.keys(verify.post.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded'])
    expect(verify.post.responses['200'].content).toHaveProperty('text/html')
    expect(verify.post.security).toContainEqual({})
    for (const [path, method] of [
      ['/api/v1/auth/email/verify', 'get'],
      ['/api/v1/auth/email/verify', 'post'],
      ['/api/v1/auth/email/reset', 'get'],
      ['/api/v1/auth/email/reset', 'post'],
      ['/api/v1/auth/refresh', 'post'],
    ] as const) {
      expect(doc.paths[path][method].responses, `${method} ${path}`).toHaveProperty('429')
    }
  })
})
