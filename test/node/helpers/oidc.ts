import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { type DevServer, startDevServer } from './dev-server'

// The OpenID provider of SPEC §15 end to end: `npm run dev` (with an RSA key, as it generates one),
// clients registered through the registry API by a super admin made with `npm run
// create-super-admin`, people signed up through the JSON API, and a headless Chromium (Debian's,
// through playwright-core) that walks the hosted pages. Each test file starts one provider, one
// relying party and one browser.

export const PASSWORD = 'Tunis-Sol4r-2026'
const ADMIN = { username: 'root', password: 'Carthage-Vent7-2027' }
const SCRYPT = { SCRYPT_LOG_N: '10', SCRYPT_R: '8', SCRYPT_P: '1' }

/** Every request of a browser comes from 127.0.0.1: the per-IP limits are raised out of the way. */
export const OIDC_VARS: Record<string, string> = {
  ...SCRYPT,
  OTP_RESEND_COOLDOWN_SECONDS: '0',
  AUTH_REQUESTS_PER_IP_PER_MINUTE: '100000',
  OTP_SENDS_PER_IP_PER_HOUR: '100000',
  SMS_PREFIX_DAILY_LIMIT: '100000',
}

export interface ApiAnswer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body the test reads field by field
  body: any
}

/** One OAuth client as the registry API answers it (client_secret only for a confidential one). */
export interface RegisteredClient {
  client_id: string
  client_secret?: string
  redirect_uris: string[]
  post_logout_redirect_uris: string[]
  [key: string]: unknown
}

export interface Provider {
  server: DevServer
  /** `http://localhost:<port>`: the issuer of the default pool. */
  issuer: string
  api(method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer>
  /** POST /api/v1/oauth-clients as the super admin; asserts 201. */
  registerClient(body: Record<string, unknown>): Promise<RegisteredClient>
  stop(): Promise<void>
}

export async function startProvider(vars: Record<string, string> = {}): Promise<Provider> {
  const server = await startDevServer({ ...OIDC_VARS, ...vars }, { rsaKey: true })
  const api: Provider['api'] = async (method, path, body, token) => {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (token) headers.authorization = `Bearer ${token}`
    const res = await fetch(`${server.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {}
    return { status: res.status, body: parsed }
  }
  // The first super admin, as a newcomer makes one: `npm run create-super-admin` into the dev server's D1.
  const made = spawnSync(
    'node_modules/.bin/tsx',
    ['scripts/create-super-admin.ts', '--username', ADMIN.username, '--password', ADMIN.password, '--persist-to', server.state],
    { encoding: 'utf8', env: { ...process.env, ...SCRYPT } },
  )
  if (made.status !== 0) {
    await server.stop()
    throw new Error(`create-super-admin failed: ${made.stderr}`)
  }
  const adminToken = async () => {
    const login = await api('POST', '/api/v1/auth/login', ADMIN)
    if (login.status !== 200) throw new Error(`super admin login: ${login.status} ${JSON.stringify(login.body)}`)
    return login.body.access_token as string
  }
  return {
    server,
    issuer: server.base,
    api,
    async registerClient(body) {
      const made = await api('POST', '/api/v1/oauth-clients', body, await adminToken())
      if (made.status !== 201) throw new Error(`register client: ${made.status} ${JSON.stringify(made.body)}`)
      return made.body as RegisteredClient
    },
    stop: () => server.stop(),
  }
}

/** A Tunisian mobile number, random enough that no two tests of a run share one. */
export const newPhone = () => `+2169${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`

export interface Person {
  id: string
  phone: string
  email: string
  access_token: string
}

/** A verified account with a phone, an email and PASSWORD, signed up through the JSON API. */
export async function activePerson(p: Provider, extra: Record<string, string> = {}): Promise<Person> {
  const phone = newPhone()
  const email = `oidc-${phone.slice(1)}@example.tn`
  const since = p.server.log().length
  const reg = await p.api('POST', '/api/v1/auth/register', { name: 'Amira', phone, email, password: PASSWORD, ...extra })
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`)
  const verified = await p.api('POST', '/api/v1/auth/verify', { phone, code: await p.server.smsCode(phone, since) })
  if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`)
  return { id: verified.body.user.id, phone, email, access_token: verified.body.access_token }
}

/** The RFC 6238 code of `key` `offset` time steps (30 s) from now. */
export const totpCode = (key: Uint8Array, offset = 0) => generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + offset), 6)

/**
 * Turns TOTP on through the JSON API (SPEC §14) and returns its key. Confirmed with the previous
 * step's code (the window accepts it), so the current step's code is still unused for a sign-in.
 */
export async function enableTotp(p: Provider, accessToken: string): Promise<Uint8Array> {
  const started = await p.api('POST', '/api/v1/me/mfa/totp', {}, accessToken)
  if (started.status !== 200) throw new Error(`totp enrol: ${started.status} ${JSON.stringify(started.body)}`)
  const key = decodeBase32IgnorePadding(started.body.secret)
  const confirmed = await p.api('POST', '/api/v1/me/mfa/totp/confirm', { code: totpCode(key, -1) }, accessToken)
  if (confirmed.status !== 200) throw new Error(`totp confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`)
  return key
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Without Chromium the browser tests are skipped, unless REQUIRE_BROWSER is set (.ci/run): then they fail. */
export const skipWithoutBrowser = !existsSync(CHROMIUM) && !process.env.REQUIRE_BROWSER

/** Debian's Chromium, headless. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  })
}

/** A fresh browser profile (no cookies), phone-sized, English unless asked, collecting page errors. */
export async function newBrowserPage(
  browser: Browser,
  locale = 'en-GB',
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 412, height: 860 }, locale })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (msg) => {
    const url = msg.location().url
    // Chromium asks every origin for /favicon.ico by itself; the provider has none (404).
    if (msg.type() === 'error' && !url.endsWith('/favicon.ico')) problems.push(`console: ${msg.text()} (${url})`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  return { context, page, problems }
}

/**
 * Gives the page a virtual platform authenticator (DevTools protocol WebAuthn: CTAP2, internal,
 * resident keys, user verification) and enrols a passkey of `person` with it: options and the
 * registration go through the JSON API from here, `navigator.credentials.create` runs in the page
 * (which must be on the provider's origin, the passkeys' relying party).
 */
export async function enrolPasskey(p: Provider, page: Page, person: Person): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  })
  const options = await p.api('POST', '/api/v1/me/passkeys/options', {}, person.access_token)
  if (options.status !== 200) throw new Error(`passkey options: ${options.status} ${JSON.stringify(options.body)}`)
  await page.goto(`${p.issuer}/`)
  // A script of the page (the Node project has no DOM types): the new credential's toJSON().
  const credential = await page.evaluate(`(async () => {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(${JSON.stringify(options.body)})
    return (await navigator.credentials.create({ publicKey })).toJSON()
  })()`)
  const added = await p.api('POST', '/api/v1/me/passkeys', { credential, name: 'Chromium' }, person.access_token)
  if (added.status !== 201) throw new Error(`passkey add: ${added.status} ${JSON.stringify(added.body)}`)
}

/** A relying party's web server on another port: answers every path with a small page, and serves `pages`. */
export interface RelyingPartyServer {
  /** `http://localhost:<port>` */
  origin: string
  pages: Map<string, string>
  stop(): Promise<void>
}

export async function startRelyingParty(): Promise<RelyingPartyServer> {
  const pages = new Map<string, string>()
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(pages.get(path) ?? '<!doctype html><html lang="en"><title>Relying party</title><h1>Back at the app</h1></html>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://localhost:${port}`,
    pages,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Waits until the browser lands on a URL that starts with `prefix` (a redirect URI), and returns it. */
export async function landedOn(page: Page, prefix: string): Promise<URL> {
  await page.waitForURL((u) => u.href.startsWith(prefix), { timeout: 30_000 })
  return new URL(page.url())
}

// --- the hosted pages (SPEC §15), driven by their English labels (src/i18n/pages/en.ts)

/** On the sign-in page (phone + code, the default): the code texted to `phone`, typed in. */
export async function signInByPhone(p: Provider, page: Page, phone: string): Promise<void> {
  await page.getByLabel('Mobile number').fill(phone)
  const since = p.server.log().length
  await page.getByRole('button', { name: 'Send me a code' }).click()
  const code = await p.server.smsCode(phone, since)
  await page.getByLabel('Verification code').fill(code)
  await page.getByRole('button', { name: 'Continue' }).click()
}

/** From the sign-in page: the password page, `login` (phone, email or username) and the password. */
export async function signInWithPassword(page: Page, login: string, password = PASSWORD): Promise<void> {
  await page.getByRole('link', { name: 'Sign in with a password' }).click()
  await page.locator('input:not([type=hidden]):not([type=password])').first().fill(login)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

/** The MFA step: a TOTP code. */
export async function answerTotp(page: Page, code: string): Promise<void> {
  await page.getByLabel('Authentication code').fill(code)
  // The first Continue is the TOTP form's (the recovery code form has its own).
  await page.getByRole('button', { name: 'Continue' }).first().click()
}

/** From the sign-in page: the passkey page and its button (the virtual authenticator answers). */
export async function signInWithPasskey(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Sign in with a passkey' }).click()
  await page.getByRole('button', { name: 'Use a passkey' }).click()
}
