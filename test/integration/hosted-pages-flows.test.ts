import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildDeps } from '../../src/deps'
import { readBrowserSession } from '../../src/services/browser-session'
import { call, envWith, json } from '../helpers/app'
import { login, newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { Browser, expectSignedIn, insertClient, REDIRECT_URI, sealedRequest } from '../helpers/hosted'
import { parsePage } from '../helpers/html'
import { enrolTotp, totpCode } from '../helpers/mfa'
import { activeUser, wrongCode } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { enrol, requestOptions } from '../helpers/passkeys'

// SPEC §15: each sign-in path of the hosted pages ends with the browser session cookie and the
// 303 to authorize/resume, through the same services as the JSON API (their limits included).

const box = useOutbox()
// Codes asked for right after the registration's: no resend cooldown, except where it is the point.
const FAST = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

let clientId: string
let request: string
beforeAll(async () => {
  clientId = await insertClient()
  request = await sealedRequest(clientId)
})

/** A browser that opened `path` (its CSRF cookie and token kept). */
async function opened(path: string, o: ConstructorParameters<typeof Browser>[0] = {}, r = request) {
  const browser = new Browser(o)
  const res = await browser.get(`/oauth2/${path}?request=${encodeURIComponent(r)}`)
  expect(res.status).toBe(200)
  return browser
}

/** The session the cookie names, as /oauth2/authorize/resume reads it. */
async function sessionOf(cookie: string, pool = 'default', vars: Record<string, string> = {}) {
  return readBrowserSession(buildDeps(envWith(vars), () => {}).inPool(pool), cookie)
}

async function alertOf(res: Response) {
  const html = await res.text()
  return { html, page: await parsePage(html, ['[role=alert]', 'h1']) }
}

describe('phone + code (the default page)', () => {
  it('texts a code, and the code signs in: cookie and 303 to resume', async () => {
    const user = await activeUser(box)
    const browser = await opened('sign-in', { env: FAST })
    const sent = await browser.post('/oauth2/sign-in/code', { phone: user.phone }, request)
    expect(sent.status).toBe(200)
    const codePage = await parsePage(await sent.text())
    const code = codePage.all('input').find((i) => i.attrs.name === 'code')
    expect(code?.attrs).toMatchObject({ autocomplete: 'one-time-code', inputmode: 'numeric' })
    const res = await browser.post('/oauth2/sign-in/code/verify', { phone: user.phone, code: box.lastCode(user.phone) }, request)
    const cookie = expectSignedIn(res, request)
    const session = await sessionOf(cookie)
    expect(session?.user.id).toBe(user.user.id)
    expect(session?.amr).toContain('sms')
  })

  it('shows a wrong code inline (aria-invalid, described), then the attempt limit applies', async () => {
    const user = await activeUser(box)
    const browser = await opened('sign-in', { env: FAST })
    await browser.post('/oauth2/sign-in/code', { phone: user.phone }, request)
    const bad = wrongCode(box.lastCode(user.phone))
    const res = await browser.post('/oauth2/sign-in/code/verify', { phone: user.phone, code: bad }, request)
    expect(res.status).toBe(400)
    expect(res.headers.getSetCookie().some((c) => c.startsWith('__Host-edge-auth='))).toBe(false)
    const { page } = await alertOf(res)
    expect(page.text('[role=alert]')).toContain('This code is incorrect or has expired.')
    const input = page.all('input').find((i) => i.attrs.name === 'code')
    expect(input?.attrs['aria-invalid']).toBe('true')
    expect(input?.attrs['aria-describedby']).toContain('code-error')
    expect(page.all('p').find((p) => p.attrs.id === 'code-error')).toBeTruthy()
    // The error summary takes the focus, and links to the field.
    expect(page.all('div').find((d) => d.attrs.class === 'error-summary')?.attrs).toMatchObject({ autofocus: '', tabindex: '-1' })
    expect(page.all('a').some((a) => a.attrs.href === '#code')).toBe(true)
    // OTP_MAX_ATTEMPTS (3): two more wrong guesses kill the code; the right one is refused then.
    for (let i = 0; i < 2; i++) await browser.post('/oauth2/sign-in/code/verify', { phone: user.phone, code: bad }, request)
    const late = await browser.post('/oauth2/sign-in/code/verify', { phone: user.phone, code: box.lastCode(user.phone) }, request)
    expect([400, 429]).toContain(late.status)
    expect(late.headers.getSetCookie().some((c) => c.startsWith('__Host-edge-auth='))).toBe(false)
  })

  it('answers the same page for an unknown number (no code sent), and an invalid number inline', async () => {
    const browser = await opened('sign-in')
    const unknown = newPhone()
    const res = await browser.post('/oauth2/sign-in/code', { phone: unknown }, request)
    expect(res.status).toBe(200)
    expect(box.to(unknown)).toEqual([])
    const invalid = await browser.post('/oauth2/sign-in/code', { phone: 'call me' }, request)
    expect(invalid.status).toBe(400)
    const { page } = await alertOf(invalid)
    expect(page.text('[role=alert]')).toContain('Enter a valid mobile number.')
    expect(page.all('input').find((i) => i.attrs.name === 'phone')?.attrs['aria-invalid']).toBe('true')
  })

  it('keeps the resend cooldown of the service (429 page in Arabic, Retry-After)', async () => {
    const user = await activeUser(box)
    const browser = await opened('sign-in', { lang: 'ar' })
    // The registration's code was sent moments ago: OTP_RESEND_COOLDOWN_SECONDS (60) applies.
    const again = await browser.post('/oauth2/sign-in/code', { phone: user.phone }, request)
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0)
    const { html, page } = await alertOf(again)
    expect(html).toContain('<html lang="ar" dir="rtl">')
    expect(page.text('[role=alert]')).toMatch(/أُرسل رمز قبل لحظات\. انتظر \d+ ثانية/)
    expect(page.all('input').find((i) => i.attrs.name === 'phone')?.attrs.value).toBe(user.phone)
  })
})

describe('email + code', () => {
  it('emails a code to a verified email, and it signs in', async () => {
    const email = newEmail()
    const reg = await call('POST', '/api/v1/auth/register', { json: { email, password: PASSWORD } })
    expect(reg.status).toBe(201)
    expect((await call('POST', '/api/v1/auth/verify', { json: { email, code: box.lastCode(email) } })).status).toBe(200)
    const browser = await opened('sign-in/email', { env: FAST })
    const sent = await browser.post('/oauth2/sign-in/email', { email }, request)
    expect(sent.status).toBe(200)
    const res = await browser.post('/oauth2/sign-in/code/verify', { email, code: box.lastCode(email) }, request)
    const cookie = expectSignedIn(res, request)
    expect((await sessionOf(cookie))?.user.email).toBe(email)
  })
})

describe('password', () => {
  it('signs in with the right password', async () => {
    const user = await activeUser(box)
    const browser = await opened('sign-in/password')
    const res = await browser.post('/oauth2/sign-in/password', { phone: user.phone, password: PASSWORD }, request)
    const cookie = expectSignedIn(res, request)
    expect((await sessionOf(cookie))?.amr).toContain('pwd')
  })

  it('shows a wrong password inline (401), and the lockout reached through the page (429, Retry-After)', async () => {
    const vars = { LOGIN_LOCKOUT_THRESHOLD: '3' }
    const user = await activeUser(box)
    const browser = await opened('sign-in/password', { env: vars, lang: 'fr' })
    const wrong = await browser.post('/oauth2/sign-in/password', { phone: user.phone, password: 'Wrong-Pass-1' }, request)
    expect(wrong.status).toBe(401)
    const { page } = await alertOf(wrong)
    expect(page.text('[role=alert]')).toContain('Le numéro de mobile, l’adresse e-mail ou le mot de passe est incorrect.')
    expect(page.all('input').find((i) => i.attrs.name === 'password')?.attrs['aria-invalid']).toBe('true')
    expect(page.all('input').find((i) => i.attrs.name === 'phone')?.attrs.value).toBe(user.phone)
    let last = wrong
    for (let i = 0; i < 4 && last.status !== 429; i++) {
      last = await browser.post('/oauth2/sign-in/password', { phone: user.phone, password: 'Wrong-Pass-1' }, request)
    }
    expect(last.status).toBe(429)
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await alertOf(last)).page.text('[role=alert]')).toMatch(/Trop de tentatives\. Attendez \d+ secondes/)
  })

  it('asks for the second step when TOTP is on, then signs in with a TOTP code', async () => {
    const user = await activeUser(box)
    const { secret } = await enrolTotp(user.access_token)
    const browser = await opened('sign-in/password')
    const first = await browser.post('/oauth2/sign-in/password', { phone: user.phone, password: PASSWORD }, request)
    expect(first.status).toBe(200)
    expect(first.headers.getSetCookie().some((c) => c.startsWith('__Host-edge-auth='))).toBe(false)
    const mfa = await parsePage(await first.text())
    const hidden = (name: string) => mfa.all('input').find((i) => i.attrs.name === name)?.attrs.value ?? ''
    expect(hidden('mfa_token')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(mfa.all('input').find((i) => i.attrs.name === 'totp')?.attrs).toMatchObject({
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
    })
    const fields = { mfa_token: hidden('mfa_token'), methods: hidden('methods') }
    const bad = await browser.post(
      '/oauth2/sign-in/mfa',
      { ...fields, totp: '000000' === totpCode(secret, 1) ? '111111' : '000000' },
      request,
    )
    expect(bad.status).toBe(400)
    expect((await alertOf(bad)).page.all('input').find((i) => i.attrs.name === 'totp')?.attrs['aria-invalid']).toBe('true')
    const res = await browser.post('/oauth2/sign-in/mfa', { ...fields, totp: totpCode(secret, 1) }, request)
    const cookie = expectSignedIn(res, request)
    expect((await sessionOf(cookie))?.amr).toEqual(expect.arrayContaining(['pwd', 'mfa']))
  })

  it('sends a dead mfa_token back to the start (401 page)', async () => {
    const browser = await opened('sign-in/password')
    const res = await browser.post('/oauth2/sign-in/mfa', { mfa_token: 'A'.repeat(43), methods: 'totp', totp: '123456' }, request)
    expect(res.status).toBe(401)
    expect((await alertOf(res)).page.text('[role=alert]')).toContain('This verification step has expired. Sign in again.')
  })
})

describe('passkey', () => {
  it('posts the assertion the script made, and signs in', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const browser = await opened('sign-in/passkey')
    const options = await requestOptions(undefined)
    const credential = await authenticator.get(await json(options))
    const res = await browser.post('/oauth2/sign-in/passkey', { credential: JSON.stringify(credential) }, request)
    const cookie = expectSignedIn(res, request)
    expect((await sessionOf(cookie))?.user.id).toBe(user.user.id)
    // The same assertion again: its challenge is used (inline, 401).
    const replay = await browser.post('/oauth2/sign-in/passkey', { credential: JSON.stringify(credential) }, request)
    expect(replay.status).toBe(401)
    expect((await alertOf(replay)).page.text('[role=alert]')).toContain('This passkey was not accepted.')
    const garbage = await browser.post('/oauth2/sign-in/passkey', { credential: 'not json' }, request)
    expect(garbage.status).toBe(400)
  })
})

describe('sign-up', () => {
  it('with a password (the pool has no OTP sign-up): code page, then the code signs in', async () => {
    const phone = newPhone()
    const browser = await opened('sign-up')
    const page = await parsePage(await (await browser.get(`/oauth2/sign-up?request=${encodeURIComponent(request)}`)).text())
    expect(page.all('input').find((i) => i.attrs.name === 'password')?.attrs.autocomplete).toBe('new-password')
    const res = await browser.post('/oauth2/sign-up', { by: 'phone', phone, name: 'Amel', password: PASSWORD }, request)
    expect(res.status).toBe(200)
    const verified = await browser.post(
      '/oauth2/sign-in/code/verify',
      { phone, code: box.lastCode(phone), sign_up: '1' },
      request,
    )
    const cookie = expectSignedIn(verified, request)
    const session = await sessionOf(cookie)
    expect(session?.user).toMatchObject({ phone, name: 'Amel', status: 'active' })
  })

  it('shows a refused password and a taken phone inline', async () => {
    const user = await activeUser(box)
    const browser = await opened('sign-up')
    const weak = await browser.post('/oauth2/sign-up', { by: 'phone', phone: newPhone(), password: 'password' }, request)
    expect(weak.status).toBe(400)
    const w = (await alertOf(weak)).page
    expect(w.text('[role=alert]')).toContain('This password cannot be used')
    expect(w.all('input').find((i) => i.attrs.name === 'password')?.attrs['aria-invalid']).toBe('true')
    const taken = await browser.post('/oauth2/sign-up', { by: 'phone', phone: user.phone, password: PASSWORD }, request)
    expect(taken.status).toBe(409)
    expect((await alertOf(taken)).page.text('[role=alert]')).toContain('This mobile number already has an account.')
  })

  it("gives the new account the page's language: its code texted in French, its locale fr", async () => {
    const phone = newPhone()
    const french = await sealedRequest(clientId, { uiLocales: 'fr' })
    const browser = await opened('sign-up', {}, french)
    expect((await browser.post('/oauth2/sign-up', { by: 'phone', phone, password: PASSWORD }, french)).status).toBe(200)
    expect(box.to(phone).at(-1)?.text).toMatch(/^Votre code de vérification/)
    const res = await browser.post('/oauth2/sign-in/code/verify', { phone, code: box.lastCode(phone), sign_up: '1' }, french)
    const cookie = expectSignedIn(res, french)
    expect((await sessionOf(cookie))?.user.locale).toBe('fr')
  })

  it('an OTP sign-up in Arabic: the code texted in Arabic, the account created with locale ar', async () => {
    const vars = { OTP_SIGNUP: 'true' }
    const phone = newPhone()
    const arabic = await sealedRequest(clientId, { uiLocales: 'ar' })
    const browser = await opened('sign-up', { env: vars }, arabic)
    expect((await browser.post('/oauth2/sign-up', { phone }, arabic)).status).toBe(200)
    expect(box.to(phone).at(-1)?.text).toMatch(/[\u0600-\u06ff]/)
    const res = await browser.post('/oauth2/sign-in/code/verify', { phone, code: box.lastCode(phone) }, arabic)
    const cookie = expectSignedIn(res, arabic)
    expect((await sessionOf(cookie, 'default', vars))?.user.locale).toBe('ar')
  })

  it('by code only with OTP_SIGNUP: no password field, the code creates the account', async () => {
    const vars = { OTP_SIGNUP: 'true' }
    const phone = newPhone()
    const browser = await opened('sign-up', { env: vars })
    const form = await parsePage(await (await browser.get(`/oauth2/sign-up?request=${encodeURIComponent(request)}`)).text())
    expect(form.all('input').some((i) => i.attrs.name === 'password')).toBe(false)
    expect((await browser.post('/oauth2/sign-up', { phone }, request)).status).toBe(200)
    const res = await browser.post('/oauth2/sign-in/code/verify', { phone, code: box.lastCode(phone) }, request)
    const cookie = expectSignedIn(res, request)
    expect((await sessionOf(cookie, 'default', vars))?.user.phone).toBe(phone)
  })
})

describe('forgot password', () => {
  it('texts a reset code; code + new password set it and sign in', async () => {
    const user = await activeUser(box)
    const browser = await opened('forgot-password', { env: FAST })
    const sent = await browser.post('/oauth2/forgot-password', { phone: user.phone }, request)
    expect(sent.status).toBe(200)
    const page = await parsePage(await sent.text())
    expect(page.all('input').find((i) => i.attrs.name === 'new_password')?.attrs.autocomplete).toBe('new-password')
    const code = box.lastCode(user.phone)
    const wrong = await browser.post(
      '/oauth2/forgot-password/confirm',
      { phone: user.phone, code: wrongCode(code), new_password: 'Nouveau-Mot2passe' },
      request,
    )
    expect(wrong.status).toBe(400)
    const res = await browser.post(
      '/oauth2/forgot-password/confirm',
      { phone: user.phone, code, new_password: 'Nouveau-Mot2passe' },
      request,
    )
    expect(expectSignedIn(res, request)).toBeTruthy()
    expect((await login({ phone: user.phone, password: PASSWORD })).status).toBe(401)
    expect((await login({ phone: user.phone, password: 'Nouveau-Mot2passe' })).status).toBe(200)
  })
})

describe('consent', () => {
  async function signedInBrowser() {
    const user = await activeUser(box)
    const browser = await opened('sign-in/password')
    expectSignedIn(await browser.post('/oauth2/sign-in/password', { phone: user.phone, password: PASSWORD }, request), request)
    return { user, browser }
  }

  it('lists what the client asks, and Allow records it and resumes', async () => {
    const { user, browser } = await signedInBrowser()
    const asking = await sealedRequest(clientId, { scope: 'openid profile phone' })
    const res = await browser.get(`/oauth2/consent?request=${encodeURIComponent(asking)}`)
    expect(res.status).toBe(200)
    const page = await parsePage(await res.text(), ['h1', 'ul.scopes'])
    expect(page.text('h1')).toBe('Allow Solaris Monitor to use your account?')
    expect(page.text('ul.scopes')).toContain('See your mobile number')
    const allowed = await browser.post('/oauth2/consent', { decision: 'allow' }, asking)
    expect(allowed.status).toBe(303)
    expect(allowed.headers.get('location')).toBe(`/oauth2/authorize/resume?request=${encodeURIComponent(asking)}`)
    const row = await env.DB.prepare('SELECT scope FROM oauth_consents WHERE user_id = ? AND client_id = ?')
      .bind(user.user.id, clientId)
      .first<{ scope: string }>()
    expect(row?.scope.split(' ').sort()).toEqual(['openid', 'phone', 'profile'])
  })

  it('Deny sends the browser back to the client with access_denied and the state', async () => {
    const { user, browser } = await signedInBrowser()
    await browser.get(`/oauth2/consent?request=${encodeURIComponent(request)}`)
    const res = await browser.post('/oauth2/consent', { decision: 'deny' }, request)
    expect(res.status).toBe(303)
    const to = new URL(res.headers.get('location') ?? '')
    expect(`${to.origin}${to.pathname}`).toBe(REDIRECT_URI)
    expect(Object.fromEntries(to.searchParams)).toMatchObject({ error: 'access_denied', state: 'st-1', iss: 'https://auth.test' })
    const row = await env.DB.prepare('SELECT 1 FROM oauth_consents WHERE user_id = ?').bind(user.user.id).first()
    expect(row).toBeNull()
  })

  it('Deny does not send the browser to a redirect URI the client no longer registers', async () => {
    const own = await insertClient()
    const sealed = await sealedRequest(own)
    const { browser } = await signedInBrowser()
    await browser.get(`/oauth2/consent?request=${encodeURIComponent(sealed)}`)
    // An admin removes the URI while the request (sealed for up to 30 minutes) is open.
    await env.DB.prepare(`UPDATE oauth_clients SET redirect_uris = '["https://app.example.com/other"]' WHERE id = ?`)
      .bind(own)
      .run()
    const res = await browser.post('/oauth2/consent', { decision: 'deny' }, sealed)
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
  })

  it('without a browser session, sends the browser to sign in first', async () => {
    const res = await new Browser().get(`/oauth2/consent?request=${encodeURIComponent(request)}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/oauth2/sign-in?request=${encodeURIComponent(request)}`)
  })
})

describe('a user pool', () => {
  it('serves its pages under /pools/<id>/oauth2, branded with its app_name, and its own cookie', async () => {
    const vars = { USER_POOLS: JSON.stringify({ sellers: { app_name: 'Souk Vendeurs' } }) }
    const pooled = await insertClient({ pool: 'sellers' })
    const r = await sealedRequest(pooled, { pool: 'sellers', env: vars })
    const phone = newPhone()
    const reg = await call('POST', '/api/v1/pools/sellers/auth/register', { json: { phone, password: PASSWORD }, env: vars })
    expect(reg.status).toBe(201)
    expect(
      (await call('POST', '/api/v1/pools/sellers/auth/verify', { json: { phone, code: box.lastCode(phone) }, env: vars })).status,
    ).toBe(200)
    const browser = new Browser({ env: vars })
    const res = await browser.get(`/pools/sellers/oauth2/sign-in/password?request=${encodeURIComponent(r)}`)
    expect(res.status).toBe(200)
    const page = await parsePage(await res.text(), ['header.brand', 'title'])
    expect(page.text('header.brand')).toBe('Souk Vendeurs')
    expect(page.all('form')[0]?.attrs.action).toBe('/pools/sellers/oauth2/sign-in/password')
    // The default pool's request is refused here (sealed for another pool).
    expect((await browser.get(`/pools/sellers/oauth2/sign-in?request=${encodeURIComponent(request)}`)).status).toBe(400)
    const signed = await browser.post('/pools/sellers/oauth2/sign-in/password', { phone, password: PASSWORD }, r)
    const cookie = expectSignedIn(signed, r, { prefix: '/pools/sellers', cookie: '__Host-edge-auth-sellers' })
    expect((await sessionOf(cookie, 'sellers', vars))?.user.phone).toBe(phone)
  })
})
