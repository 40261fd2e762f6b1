import { beforeAll, describe, expect, it } from 'vitest'
import { call } from '../helpers/app'
import { newPhone } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { Browser, insertClient, REDIRECT_URI, sealedRequest } from '../helpers/hosted'
import { parsePage, urlAttributes } from '../helpers/html'
import { useOutbox } from '../helpers/outbox'

// SPEC §15 hosted pages: rendering in the three languages, the headers every page carries, CSRF,
// and the refusal of a forged or expired request. The sign-in paths are in hosted-pages-flows.

useOutbox()

let clientId: string
let request: string
beforeAll(async () => {
  clientId = await insertClient()
  request = await sealedRequest(clientId)
})

const PAGES = ['sign-in', 'sign-in/email', 'sign-in/password', 'sign-in/passkey', 'sign-up', 'forgot-password']
const q = (r: string) => `?request=${encodeURIComponent(r)}`

describe('every page in en, fr and ar', () => {
  for (const [lang, dir, title] of [
    ['en', 'ltr', 'Sign in'],
    ['fr', 'ltr', 'Connexion'],
    ['ar', 'rtl', 'تسجيل الدخول'],
  ] as const) {
    it(`renders with lang=${lang} dir=${dir}, from Accept-Language`, async () => {
      const browser = new Browser({ lang: `${lang};q=0.9, de;q=0.5` })
      for (const path of PAGES) {
        const res = await browser.get(`/oauth2/${path}${q(request)}`)
        expect(res.status, path).toBe(200)
        const html = await res.text()
        expect(html, path).toContain(`<html lang="${lang}" dir="${dir}">`)
        const parsed = await parsePage(html)
        expect(parsed.all('h1'), path).toHaveLength(1)
        // Every visible input has a label; every form carries the request and the CSRF token.
        const inputs = parsed.all('input').filter((i) => i.attrs.type !== 'hidden')
        const labels = parsed.all('label').map((l) => l.attrs.for)
        for (const input of inputs) expect(labels, `${path} ${input.attrs.name}`).toContain(input.attrs.id)
        for (const form of parsed.all('form')) expect(form.attrs.method).toBe('post')
        const hidden = parsed.all('input').filter((i) => i.attrs.type === 'hidden')
        expect(hidden.filter((i) => i.attrs.name === 'csrf').length).toBe(parsed.all('form').length)
        expect(hidden.filter((i) => i.attrs.name === 'request').every((i) => i.attrs.value === request)).toBe(true)
      }
      const signIn = await parsePage(await (await browser.get(`/oauth2/sign-in${q(request)}`)).text())
      expect(signIn.text('h1')).toBe(title)
      expect(signIn.text('title')).toContain('edge-auth')
    })
  }

  it('prefers ui_locales of the request over Accept-Language', async () => {
    const arabic = await sealedRequest(clientId, { uiLocales: 'ar-TN fr' })
    const res = await new Browser({ lang: 'fr' }).get(`/oauth2/sign-in${q(arabic)}`)
    expect(await res.text()).toContain('<html lang="ar" dir="rtl">')
  })

  it('names the client it signs in to, and pre-fills login_hint', async () => {
    const hinted = await sealedRequest(clientId, { loginHint: '+21698111222' })
    const page = await parsePage(await (await new Browser().get(`/oauth2/sign-in${q(hinted)}`)).text(), ['p.lead'])
    expect(page.text('p.lead')).toBe('to continue to Solaris Monitor')
    const phone = page.all('input').find((i) => i.attrs.name === 'phone')
    expect(phone?.attrs).toMatchObject({ value: '+21698111222', type: 'tel', autocomplete: 'tel', id: 'phone' })
    const email = await sealedRequest(clientId, { loginHint: 'amel@example.tn' })
    const password = await parsePage(await (await new Browser().get(`/oauth2/sign-in/password${q(email)}`)).text())
    expect(password.all('input').find((i) => i.attrs.name === 'email')?.attrs.value).toBe('amel@example.tn')
    expect(password.all('input').find((i) => i.attrs.name === 'password')?.attrs.autocomplete).toBe('current-password')
  })
})

describe('headers', () => {
  it('has a strict CSP whose nonce is the one of its stylesheet and script, no-store, no framing', async () => {
    const res = await new Browser().get(`/oauth2/sign-in/passkey${q(request)}`)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:\/\/(?!app\.example\.com)/)
    expect(csp).toMatch(/default-src 'none'/)
    expect(csp).toMatch(/frame-ancestors 'none'/)
    expect(csp).toContain(`form-action 'self' ${new URL(REDIRECT_URI).origin}`)
    const nonce = /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1]
    expect(nonce).toBeTruthy()
    expect(csp).toContain(`style-src 'nonce-${nonce}'`)
    const page = await parsePage(await res.text())
    const [script] = page.all('script')
    expect(script?.attrs).toMatchObject({ src: '/oauth2/assets/passkey.js', nonce })
    expect(page.all('link')[0]?.attrs).toMatchObject({ rel: 'stylesheet', href: '/oauth2/assets/hosted.css', nonce })
    // Nothing from another origin; no inline script or style.
    for (const url of urlAttributes(page)) expect(url).toMatch(/^\//)
    expect(page.all('style')).toHaveLength(0)
    expect(page.all('script').every((s) => s.attrs.src)).toBe(true)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    // Another response, another nonce.
    const again = await new Browser().get(`/oauth2/sign-in/passkey${q(request)}`)
    expect(again.headers.get('content-security-policy')).not.toContain(nonce)
  })

  it("allows a native app's private-use scheme as a form target (RFC 8252 redirect URIs)", async () => {
    const native = await sealedRequest(clientId, { redirectUri: 'com.example.app:/oauth2redirect' })
    const res = await new Browser().get(`/oauth2/sign-in${q(native)}`)
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self' com.example.app:;")
  })

  it('serves the stylesheet and the passkey script as static assets, and nothing else', async () => {
    const css = await call('GET', '/oauth2/assets/hosted.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    expect(await css.text()).toContain('padding-inline')
    const js = await call('GET', '/oauth2/assets/passkey.js')
    expect(js.status).toBe(200)
    expect(await js.text()).toContain('parseRequestOptionsFromJSON')
    expect((await call('GET', '/oauth2/assets/docs-init.js')).status).toBe(404)
  })
})

describe('a request that cannot be used', () => {
  it('answers a translated 400 page for a missing, forged, expired or other-pool request', async () => {
    const expired = await sealedRequest(clientId, { iat: Date.now() - 31 * 60_000 })
    const otherPool = await sealedRequest(clientId, { pool: 'user2', env: { USER_POOLS: '{"user2":{}}' } })
    const forged = `${request.slice(0, -4)}AAAA`
    for (const r of ['', forged, expired, otherPool, 'x'.repeat(5000)]) {
      const res = await new Browser({ lang: 'fr' }).get(`/oauth2/sign-in${r ? q(r) : ''}`)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      const page = await parsePage(await res.text(), ['[role=alert]'])
      expect(page.text('[role=alert]')).toBe(
        'Ce lien de connexion est invalide ou a expiré. Revenez à l’application et recommencez.',
      )
    }
  })

  it('refuses a request whose client is gone (400 page)', async () => {
    const res = await new Browser().get(`/oauth2/sign-in${q(await sealedRequest('no-such-client'))}`)
    expect(res.status).toBe(400)
  })

  it('refuses a POST with a forged request after a good CSRF token (400 page)', async () => {
    const browser = new Browser()
    await browser.get(`/oauth2/sign-in${q(request)}`)
    const res = await browser.post('/oauth2/sign-in/code', { phone: '+21698000001' }, `${request}x`)
    expect(res.status).toBe(400)
  })
})

describe('CSRF', () => {
  it('refuses a POST without the token, with a wrong one, or without the cookie (403 page)', async () => {
    const browser = new Browser({ lang: 'en' })
    await browser.get(`/oauth2/sign-in/password${q(request)}`)
    const good = browser.csrf
    const tries: Array<[string, Browser]> = [
      ['', browser],
      ['A'.repeat(43), browser],
      [good.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), browser],
      [good, new Browser()], // another browser: no cookie of its own
    ]
    for (const [csrf, who] of tries) {
      const res = await who.post('/oauth2/sign-in/password', { phone: '+21698000002', password: 'x', csrf }, request)
      expect(res.status).toBe(403)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(res.headers.get('set-cookie') ?? '').not.toContain('__Host-edge-auth=')
      const page = await parsePage(await res.text(), ['[role=alert]'])
      expect(page.text('[role=alert]')).toContain('This form has expired')
    }
  })

  it('sets the CSRF cookie HttpOnly, Secure, __Host-, and keeps it across pages', async () => {
    const res = await call('GET', `/oauth2/sign-in${q(request)}`)
    const line = res.headers.getSetCookie().find((l) => l.startsWith('__Host-edge-auth-csrf='))
    expect(line).toMatch(/HttpOnly/)
    expect(line).toMatch(/Secure/)
    expect(line).toMatch(/Path=\//)
    const browser = new Browser()
    await browser.get(`/oauth2/sign-in${q(request)}`)
    const again = await browser.get(`/oauth2/sign-up${q(request)}`)
    expect(again.headers.getSetCookie()).toEqual([])
  })
})

describe('Turnstile (SPEC §5) on the pages that send a code', () => {
  const BASE = 'https://turnstile.test'
  const ON = { TURNSTILE_SECRET_KEY: 'ts-secret', TURNSTILE_SITE_KEY: '0x4AAAA-site', TURNSTILE_API_BASE: BASE }
  const siteverify = useFakeFetch(BASE, () => Response.json({ success: false }))

  it('shows the widget, allows only its origin in the CSP, and refuses a post without a token', async () => {
    const browser = new Browser({ env: ON, lang: 'fr' })
    const res = await browser.get(`/oauth2/sign-in${q(request)}`)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9_-]+' https:\/\/challenges\.cloudflare\.com;/)
    expect(csp).toContain('frame-src https://challenges.cloudflare.com')
    const page = await parsePage(await res.text())
    expect(page.elements.find((e) => e.attrs.class === 'cf-turnstile')?.attrs).toMatchObject({
      'data-sitekey': '0x4AAAA-site',
      'data-language': 'fr',
    })
    const phone = newPhone()
    const refused = await browser.post('/oauth2/sign-in/code', { phone }, request)
    expect(refused.status).toBe(400)
    expect((await parsePage(await refused.text(), ['[role=alert]'])).text('[role=alert]')).toContain(
      'Nous n’avons pas pu vérifier que vous êtes une personne',
    )
    expect(siteverify.requests).toHaveLength(0)
    siteverify.reply(() => Response.json({ success: true }))
    const passed = await browser.post('/oauth2/sign-in/code', { phone, 'cf-turnstile-response': 'good' }, request)
    expect(passed.status).toBe(200)
    expect(siteverify.requests).toHaveLength(1)
  })

  it('leaves the widget and its origin out while the defence is off', async () => {
    const res = await new Browser().get(`/oauth2/sign-in${q(request)}`)
    expect(res.headers.get('content-security-policy')).not.toContain('cloudflare')
    expect(await res.text()).not.toContain('cf-turnstile')
  })
})
