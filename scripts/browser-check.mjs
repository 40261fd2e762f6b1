// `npm run check:browser`: the password reset page of a real `wrangler dev`, driven by a real
// browser (issue 5), passkeys (issue 19): the development passkey test page enrols a passkey
// and signs in with it in Chromium with a virtual authenticator (DevTools protocol `WebAuthn`), and the
// API reference pages (/api/v1/docs and /api/v1/redoc) with the network to anything but the service
// blocked (issue 18). Starts `wrangler dev` on port 8791 with fresh local storage, signs up by
// email, asks for a reset, opens the emailed link in headless Chromium (Debian's `chromium`
// package, through playwright-core) with JavaScript disabled, chooses a new password through the
// form, and checks the result over HTTP. Then every hosted sign-in page of the OpenID provider
// (issue 20, SPEC §15) in English, French and Arabic (right to left): a screenshot of each into
// bench/out/pages/<locale>/, and axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on each, any violation
// failing the check. Screenshots go to bench/out/ (git-ignored). Exits non-zero on any failure;
// wrangler is always stopped.
//   apt-get install -y chromium && npm run check:browser
import { spawn, spawnSync } from 'node:child_process'
import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { copyAssets } from './assets.mjs'

const PORT = 8791
const BASE = `http://localhost:${PORT}`
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUT = 'bench/out'
const SHOTS = {
  form: join(OUT, 'reset-form.png'),
  done: join(OUT, 'reset-page.png'),
  confirm: join(OUT, 'verify-confirm.png'),
  verified: join(OUT, 'verify-done.png'),
  passkey: join(OUT, 'passkey-signed-in.png'),
}
const PASSWORD = 'Tunis-Sol4r-2026'
const NEW_PASSWORD = 'Carthage-Vent7-2027'
const WRANGLER = `node_modules/.bin/${process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler'}`

const step = (text) => console.log(`[check] ${text}`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
function assert(condition, message) {
  if (!condition) throw new Error(message)
}

/** Polls `probe` until it returns a value, or fails after `ms`. */
async function waitFor(what, probe, ms = 30_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

async function api(method, path, body, token) {
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

async function expectStatus(what, promise, status) {
  const res = await promise
  assert(res.status === status, `${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

// --- wrangler dev, with its own storage and its output kept for the emails the console provider prints

let log = ''
let wrangler
let persistDir

/**
 * Throwaway secrets in an --env-file (so the developer's .dev.vars is neither read nor written): an
 * Ed25519 key for access tokens and an RSA key for ID tokens (RS256), as `npm run dev` generates.
 */
function writeEnvFile(dir) {
  const ed = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'browser-check', alg: 'EdDSA' }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
  const keys = [ed, { ...rsa, kid: 'browser-check-rsa', alg: 'RS256' }]
  const file = join(dir, 'check.env')
  writeFileSync(file, `JWT_PRIVATE_KEYS='${JSON.stringify(keys)}'\nOTP_PEPPER=${randomBytes(32).toString('base64url')}\n`)
  return file
}

function startWrangler() {
  if (copyAssets().length > 0) step('copied the API reference bundles into public/vendor')
  persistDir = mkdtempSync(join(tmpdir(), 'edge-auth-browser-'))
  const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' }
  const migrate = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], {
    env,
    encoding: 'utf8',
  })
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`)
  step(`migrations applied to ${persistDir}`)

  // Every request of the browser comes from 127.0.0.1: the per-IP limits are raised out of the way.
  const vars = {
    PUBLIC_URL: BASE,
    JWT_ISSUER: BASE,
    OTP_RESEND_COOLDOWN_SECONDS: '0',
    AUTH_REQUESTS_PER_IP_PER_MINUTE: '100000',
    OTP_SENDS_PER_IP_PER_HOUR: '100000',
    SMS_PREFIX_DAILY_LIMIT: '100000',
    SCRYPT_LOG_N: '12',
  }
  // `log`, not `info`: wrangler prints the Worker's console.log (the console email provider) at level `log`.
  const args = ['dev', '--port', String(PORT), '--persist-to', persistDir, '--log-level', 'log']
  args.push('--env-file', writeEnvFile(persistDir))
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`)
  // Its own process group, so stopping it also stops workerd.
  wrangler = spawn(WRANGLER, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = (chunk) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    log += chunk.toString().replace(/\x1b\[[0-9;]*m/g, '')
  }
  wrangler.stdout.on('data', keep)
  wrangler.stderr.on('data', keep)
}

async function stopWrangler() {
  if (!wrangler || wrangler.exitCode !== null || wrangler.signalCode !== null) return
  const exited = new Promise((resolve) => wrangler.once('exit', resolve))
  try {
    process.kill(-wrangler.pid, 'SIGTERM')
  } catch {
    return
  }
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])
  if (!done) {
    try {
      process.kill(-wrangler.pid, 'SIGKILL')
    } catch {}
  }
}

/** The text of the `n`th email (0-based) the console provider printed for `to`, once it is there. */
function emailText(to, n) {
  const marker = `[email] to=${to} `
  const parts = log.split(marker)
  if (parts.length < n + 2) return undefined
  const after = parts[n + 1]
  const body = after.slice(after.indexOf('\n') + 1)
  // The text part ends where the next log line starts (wrangler prints "[wrangler:…]" request lines).
  return body.split(/\n(?=\[(?:wrangler|email|sms)\b)/)[0]
}

/** The body of the last text the console SMS provider printed for `to` (after `from` in the log), once there is one. */
function smsText(to, from = 0) {
  const lines = log
    .slice(from)
    .split('\n')
    .filter((l) => l.includes(`[sms] to=${to} `))
  return lines.at(-1)?.split(' body=')[1]
}

/**
 * A phone-sized headless Chromium page (JavaScript off unless asked), collecting every console
 * error, page error and failed request.
 */
async function newPage(browser, { javaScript = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 412, height: 760 }, javaScriptEnabled: javaScript })
  const page = await context.newPage()
  const problems = []
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`))
  return { context, page, problems }
}

/**
 * The email verification link (SPEC §6.6): opening it shows a confirm page and changes nothing
 * (mail scanners fetch links); only its button verifies the address.
 */
async function checkVerifyLink(browser) {
  const phone = `+2169${String(Date.now()).slice(-7)}`
  const email = `browser-verify-${Date.now()}@example.com`
  await expectStatus('register by phone', api('POST', '/api/v1/auth/register', { phone, email, password: PASSWORD }), 201)
  const text = await waitFor('the registration text', () => smsText(phone))
  const code = /\b(\d{4,10})\b/.exec(text)?.[1]
  assert(code, `no code in the text: ${text}`)
  const session = await expectStatus('verify the phone', api('POST', '/api/v1/auth/verify', { phone, code }), 200)
  await expectStatus('verify-request', api('POST', '/api/v1/auth/email/verify-request', {}, session.access_token), 202)
  const mail = await waitFor('the verification email', () => emailText(email, 0))
  const found = /https?:\/\/\S+\/api\/v1\/auth\/email\/verify\?token=[A-Za-z0-9_-]+/.exec(mail)?.[0]
  assert(found, `no verification link in the email: ${mail}`)
  const emailed = new URL(found)
  const link = new URL(`${emailed.pathname}${emailed.search}`, BASE).href

  const { context, page, problems } = await newPage(browser)
  const opened = await page.goto(link)
  assert(opened?.status() === 200, `GET verify link: expected 200, got ${opened?.status()}`)
  const csp = opened.headers()['content-security-policy'] ?? ''
  assert(csp.includes("default-src 'none'") && !csp.includes('script-src'), `unexpected CSP: ${csp}`)
  await page.getByRole('heading', { level: 1, name: 'Confirm your email' }).waitFor({ timeout: 10_000 })
  const before = await expectStatus('GET /me after opening', api('GET', '/api/v1/me', undefined, session.access_token), 200)
  assert(before.email_verified === false, 'opening the link verified the email: a mail scanner would too')
  mkdirSync(OUT, { recursive: true })
  await page.screenshot({ path: SHOTS.confirm, fullPage: true })
  step(`the link shows a confirm page and changes nothing; screenshot ${SHOTS.confirm}`)

  const [posted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/auth/email/verify'),
    page.getByRole('button', { name: 'Confirm my email' }).click(),
  ])
  assert(posted.status() === 200, `confirm: expected 200, got ${posted.status()}`)
  await page.getByRole('heading', { level: 1, name: 'Email verified' }).waitFor({ timeout: 10_000 })
  await page.screenshot({ path: SHOTS.verified, fullPage: true })
  const after = await expectStatus('GET /me after confirming', api('GET', '/api/v1/me', undefined, session.access_token), 200)
  assert(after.email_verified === true, 'the button did not verify the email')
  assert(problems.length === 0, `the browser reported problems:\n  ${problems.join('\n  ')}`)
  step(`"Email verified" after the button, not before; screenshot ${SHOTS.verified}`)
  await context.close()
}

/** The account a phone registration and its texted code make: its token response. */
async function phoneAccount() {
  const phone = `+2169${String(Date.now() + 7).slice(-7)}`
  await expectStatus('register by phone', api('POST', '/api/v1/auth/register', { phone, password: PASSWORD }), 201)
  const text = await waitFor('the registration text', () => smsText(phone))
  const code = /\b(\d{4,10})\b/.exec(text)?.[1]
  assert(code, `no code in the text: ${text}`)
  return { phone, ...(await expectStatus('verify the phone', api('POST', '/api/v1/auth/verify', { phone, code }), 200)) }
}

/**
 * Passkeys (SPEC §14) in a real browser: the development test page, with a virtual platform
 * authenticator (resident keys, user verification), enrols a passkey for a signed-in account
 * through navigator.credentials.create, then signs in with it through navigator.credentials.get,
 * usernameless and by phone; the API sees the passkey and its sign-ins.
 */
async function checkPasskeys(browser) {
  const account = await phoneAccount()
  const { context, page, problems } = await newPage(browser, { javaScript: true })
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  })
  const opened = await page.goto(`${BASE}/api/v1/dev/passkey-test`)
  assert(opened?.status() === 200, `GET passkey test page: expected 200, got ${opened?.status()}`)
  const csp = opened.headers()['content-security-policy'] ?? ''
  assert(/script-src 'sha256-/.test(csp) && !csp.includes('unsafe-inline'), `unexpected CSP: ${csp}`)
  const status = page.getByRole('status')

  await page.getByLabel('Access token').fill(account.access_token)
  await page.getByLabel('Passkey name').fill('Chromium virtual authenticator')
  await page.getByRole('button', { name: 'Add a passkey' }).click()
  await waitFor(
    'the passkey to be added',
    async () => ((await status.textContent()) ?? '').match(/^(Passkey added|Failed)/)?.[0],
    15_000,
  )
  const added = (await status.textContent()) ?? ''
  assert(added.startsWith('Passkey added'), `add a passkey: ${added}`)
  const list = await expectStatus('GET /me/passkeys', api('GET', '/api/v1/me/passkeys', undefined, account.access_token), 200)
  assert(list.items.length === 1 && list.items[0].name === 'Chromium virtual authenticator', `passkeys: ${JSON.stringify(list)}`)
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
  assert(credentials.length === 1 && credentials[0].isResidentCredential, 'the authenticator holds no discoverable credential')
  step(`a passkey was enrolled through navigator.credentials.create (${list.items[0].credential_id.slice(0, 12)}…)`)

  for (const phone of ['', account.phone]) {
    await page.getByLabel(/^Phone/).fill(phone)
    await status.evaluate((el) => {
      el.textContent = ''
    })
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    const said = await waitFor(
      'the passkey sign-in',
      async () => ((await status.textContent()) ?? '').match(/^(Signed in as \S+|Failed.*)/)?.[0],
      15_000,
    )
    assert(said === `Signed in as ${account.user.id}`, `sign in with a passkey${phone ? ' by phone' : ''}: ${said}`)
    step(`signed in with the passkey through navigator.credentials.get (${phone ? 'by phone' : 'usernameless'})`)
  }
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
  const [listed] = (
    await expectStatus('GET /me/passkeys', api('GET', '/api/v1/me/passkeys', undefined, account.access_token), 200)
  ).items
  assert(listed.last_used_at !== null, 'the passkey has no last use')
  mkdirSync(OUT, { recursive: true })
  await page.screenshot({ path: SHOTS.passkey, fullPage: true })
  assert(problems.length === 0, `the browser reported problems:\n  ${problems.join('\n  ')}`)
  step(`the authenticator's counter is ${after.credentials[0].signCount}; screenshot ${SHOTS.passkey}`)
  await context.close()
}

const REDOC_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'

/** The directive `name` of a CSP header, or '' when absent. */
const directive = (csp, name) =>
  csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `)) ?? ''

/**
 * The API reference pages (SPEC §6.7) offline: every request to anything but the service is
 * aborted, and the operations must still render (an operation's summary is found on the page);
 * script-src allows no 'unsafe-inline', and the browser reports no CSP violation or script error.
 */
async function checkReferencePages(browser) {
  const pages = [
    { path: '/api/v1/docs', shot: join(OUT, 'docs-scalar.png') },
    { path: '/api/v1/redoc', shot: join(OUT, 'docs-redoc.png') },
  ]
  for (const { path, shot } of pages) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const outside = []
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(`${BASE}/`)) return route.continue()
      outside.push(url)
      return route.abort('internetdisconnected')
    })
    const page = await context.newPage()
    const problems = []
    page.on('console', (msg) => {
      const text = msg.text()
      // ReDoc always shows Redocly's logo from its CDN: the CSP blocks it and ReDoc drops the image.
      if (/Content Security Policy|Refused to/i.test(text) && !text.includes(REDOC_LOGO)) problems.push(`CSP: ${text}`)
    })
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
    const opened = await page.goto(`${BASE}${path}`)
    assert(opened?.status() === 200, `GET ${path}: expected 200, got ${opened?.status()}`)
    const csp = opened.headers()['content-security-policy'] ?? ''
    const scripts = directive(csp, 'script-src')
    assert(
      scripts && !scripts.includes("'unsafe-inline'") && !/https?:/.test(scripts),
      `${path}: script-src ${scripts || 'missing'}`,
    )
    // An operation's summary, rendered from the document by the page's own scripts.
    await page
      .getByText('Register by phone or email; a verification code is sent')
      .first()
      .waitFor({ state: 'attached', timeout: 30_000 })
    await page.getByText('Rotate the refresh token and get a new access token').first().waitFor({ state: 'attached' })
    mkdirSync(OUT, { recursive: true })
    await page.screenshot({ path: shot })
    assert(problems.length === 0, `${path}: the browser reported problems:\n  ${problems.join('\n  ')}`)
    step(
      `${path} renders the operations offline (${outside.length} outside requests aborted); CSP ${scripts}; screenshot ${shot}`,
    )
    await context.close()
  }
}

// --- the hosted sign-in pages of the OpenID provider (issue 20, SPEC §15), in every language

const LOCALES = { en: 'en-GB', fr: 'fr-FR', ar: 'ar-TN' }
const PAGES_OUT = join(OUT, 'pages')
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']
/** Where the check's client says it lives: nothing listens there, the browser's requests to it are answered by the check. */
const APP = 'http://localhost:8792'

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret, `offset` steps from now. */
function totp(secret, offset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0')
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => Number.parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offset))
  const mac = createHmac('sha1', key).update(counter).digest()
  const at = mac[mac.length - 1] & 0xf
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** The first super admin (`npm run create-super-admin` into wrangler's local D1), signed in. */
async function superAdminToken() {
  const admin = { username: 'root', password: NEW_PASSWORD }
  const made = spawnSync(
    join('node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx'),
    ['scripts/create-super-admin.ts', '--username', admin.username, '--password', admin.password, '--persist-to', persistDir],
    { encoding: 'utf8', env: { ...process.env, SCRYPT_LOG_N: '12' } },
  )
  assert(made.status === 0, `create-super-admin: ${made.stderr}`)
  return (await expectStatus('super admin login', api('POST', '/api/v1/auth/login', admin), 200)).access_token
}

/** A verified account signed up through the JSON API (a phone, an email, PASSWORD); with `totp`, TOTP on too. */
async function hostedAccount({ withTotp = false } = {}) {
  const phone = `+2169${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`
  const email = `hosted-${phone.slice(1)}@example.com`
  const from = log.length
  await expectStatus('register', api('POST', '/api/v1/auth/register', { name: 'Amira', phone, email, password: PASSWORD }), 201)
  const text = await waitFor('the registration text', () => smsText(phone, from))
  const code = /\b(\d{4,10})\b/.exec(text)?.[1]
  const session = await expectStatus('verify', api('POST', '/api/v1/auth/verify', { phone, code }), 200)
  if (withTotp) {
    const { secret } = await expectStatus('TOTP', api('POST', '/api/v1/me/mfa/totp', {}, session.access_token), 200)
    // The previous step's code confirms (the window takes it): the current one stays free for the sign-in.
    const confirm = api('POST', '/api/v1/me/mfa/totp/confirm', { code: totp(secret, -1) }, session.access_token)
    await expectStatus('TOTP confirm', confirm, 200)
    return { phone, email, secret }
  }
  return { phone, email }
}

/**
 * Runs axe-core (injected through the DevTools protocol, so the page's CSP stays as it is) with the
 * WCAG 2.0/2.1/2.2 A and AA rules, checks `<html lang dir>`, and saves a full-page screenshot.
 */
async function auditPage(page, locale, name, findings) {
  await page.waitForLoadState('load')
  const path = join(PAGES_OUT, locale, `${name}.png`)
  mkdirSync(join(PAGES_OUT, locale), { recursive: true })
  await page.screenshot({ path, fullPage: true })
  const [lang, dir] = await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])
  const wantDir = locale === 'ar' ? 'rtl' : 'ltr'
  if (lang !== locale || (dir || 'ltr') !== wantDir)
    findings.push(`${locale}/${name}: <html lang="${lang}" dir="${dir}">, expected lang="${locale}" dir="${wantDir}"`)
  await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(
    (tags) =>
      window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }).then((r) =>
        r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          targets: v.nodes.map((n) => n.target.join(' ')),
        })),
      ),
    AXE_TAGS,
  )
  for (const v of violations)
    findings.push(`${locale}/${name}: axe ${v.id} (${v.impact}): ${v.help} — ${v.targets.slice(0, 3).join(', ')}`)
  step(`  ${locale}/${name}: ${violations.length} axe violations; ${path}`)
}

let AXE_SOURCE = ''

/**
 * Every hosted page (SPEC §15) in en, fr and ar: sign-in by phone, email, password and passkey,
 * code entry, the MFA step, sign-up, forgot password (both steps), consent, an error page, the
 * logout confirmation and the signed-out page. Each is reached the way a person reaches it (through
 * /oauth2/authorize with ui_locales, the forms' buttons), screenshotted and audited.
 */
async function checkHostedPages(browser) {
  AXE_SOURCE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
  const token = await superAdminToken()
  const client = await expectStatus(
    'register an OAuth client',
    api(
      'POST',
      '/api/v1/oauth-clients',
      {
        name: 'Solar dashboard',
        type: 'confidential',
        redirect_uris: [`${APP}/callback`],
        post_logout_redirect_uris: [`${APP}/signed-out`],
        first_party: false,
      },
      token,
    ),
    201,
  )
  const findings = []
  for (const [locale, browserLocale] of Object.entries(LOCALES)) {
    const person = await hostedAccount()
    const strong = await hostedAccount({ withTotp: true })
    const context = await browser.newContext({ viewport: { width: 412, height: 860 }, locale: browserLocale })
    await context.route(`${APP}/**`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<!doctype html><html lang="en"><title>App</title><h1>App</h1></html>',
      }),
    )
    const page = await context.newPage()
    const problems = []
    page.on('console', (msg) => {
      // The error page answers 400 on purpose: Chromium logs that status for the document itself.
      const expected = msg.location().url.endsWith('request=forged') && msg.text().includes('status of 400')
      if (msg.type() === 'error' && !expected) problems.push(`${locale} ${page.url()}: console: ${msg.text()}`)
    })
    page.on('pageerror', (err) => problems.push(`${locale} ${page.url()}: page error: ${err.message}`))
    const shot = (name) => auditPage(page, locale, name, findings)
    const submit = () => page.locator('main form button[type=submit]:visible').first().click()
    const verifier = randomBytes(32).toString('base64url')
    const authorize = new URL('/oauth2/authorize', BASE)
    for (const [k, v] of Object.entries({
      client_id: client.client_id,
      redirect_uri: `${APP}/callback`,
      response_type: 'code',
      scope: 'openid profile email phone',
      state: `state-${locale}`,
      nonce: `nonce-${locale}`,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ui_locales: locale,
    }))
      authorize.searchParams.set(k, v)

    await page.goto(authorize.href)
    await page.waitForURL((u) => u.pathname === '/oauth2/sign-in')
    const request = new URL(page.url()).searchParams.get('request')
    const at = (path) => `${BASE}/oauth2/${path}?request=${encodeURIComponent(request)}`
    await shot('01-sign-in-phone')
    await page.goto(at('sign-in/email'))
    await shot('02-sign-in-email')
    await page.goto(at('sign-in/passkey'))
    await shot('03-sign-in-passkey')
    await page.goto(at('sign-up'))
    await shot('04-sign-up')
    await page.goto(at('forgot-password'))
    await shot('05-forgot-password')
    await page.locator('input[name=phone]').fill(person.phone)
    await submit()
    await page.locator('input[name=code]').waitFor()
    await shot('06-forgot-password-code')
    const forged = await page.goto(`${BASE}/oauth2/sign-in?request=forged`)
    assert(forged?.status() === 400, `a forged request: expected 400, got ${forged?.status()}`)
    await shot('07-error')

    // The password page, then the MFA step of an account with TOTP.
    await page.goto(at('sign-in/password'))
    await shot('08-sign-in-password')
    await page.locator('input[name=phone]').fill(strong.phone)
    await page.locator('input[name=password]').fill(PASSWORD)
    await submit()
    await page.locator('input[name=totp]').waitFor()
    await shot('09-mfa')

    // Phone + code, the default: the code entry page, then consent (a third-party client).
    await page.goto(at('sign-in'))
    await page.locator('input[name=phone]').fill(person.phone)
    const from = log.length
    await submit()
    await page.locator('input[name=code]').waitFor()
    await shot('10-code-entry')
    const text = await waitFor('the login text', () => smsText(person.phone, from))
    await page.locator('input[name=code]').fill(/\b(\d{4,10})\b/.exec(text)?.[1] ?? '')
    await submit()
    await page.waitForURL((u) => u.pathname === '/oauth2/consent')
    await shot('11-consent')
    await page.locator('button[name=decision][value=allow]').click()
    await page.waitForURL((u) => u.href.startsWith(`${APP}/callback`))

    // RP-initiated logout: the confirmation, then (without a return address) the signed-out page.
    const logout = new URL('/oauth2/end_session', BASE)
    logout.searchParams.set('client_id', client.client_id)
    logout.searchParams.set('ui_locales', locale)
    await page.goto(logout.href)
    await shot('12-logout')
    await submit()
    await page.waitForLoadState('load')
    await shot('13-signed-out')

    findings.push(...problems)
    await context.close()
  }
  assert(findings.length === 0, `hosted pages:\n  ${findings.join('\n  ')}`)
  step(
    `hosted pages in ${Object.keys(LOCALES).join(', ')}: no axe violations (${AXE_TAGS.join(', ')}); screenshots in ${PAGES_OUT}`,
  )
}

// --- the check

async function check() {
  const busy = await fetch(`${BASE}/health`).then(
    () => true,
    () => false,
  )
  assert(!busy, `something already listens on port ${PORT}; stop it first`)

  startWrangler()
  await waitFor(
    'wrangler dev to answer /health',
    async () => {
      if (wrangler.exitCode !== null) throw new Error('wrangler dev exited early')
      const ok = await fetch(`${BASE}/health`).then(
        (r) => r.status === 200,
        () => false,
      )
      return ok ? true : undefined
    },
    90_000,
  )
  step(`wrangler dev is up on ${BASE}`)

  const email = `browser-check-${Date.now()}@example.com`
  const reg = await expectStatus('register', api('POST', '/api/v1/auth/register', { email, password: PASSWORD }), 201)
  assert(reg.channel === 'email', `register: expected channel email, got ${reg.channel}`)
  const welcome = await waitFor('the registration email', () => emailText(email, 0))
  const code = /\b(\d{4,10})\b/.exec(welcome)?.[1]
  assert(code, `no code in the registration email: ${welcome}`)
  const session = await expectStatus('verify', api('POST', '/api/v1/auth/verify', { email, code }), 200)
  assert(session.user?.email_verified === true, 'verify: email not verified')
  step(`registered and verified ${email} with the emailed code`)

  await expectStatus('reset-password', api('POST', '/api/v1/auth/reset-password', { email }), 202)
  const resetMail = await waitFor('the reset email', () => emailText(email, 1))
  const found = /https?:\/\/\S+\/api\/v1\/auth\/email\/reset\?token=[A-Za-z0-9_-]+/.exec(resetMail)?.[0]
  assert(found, `no reset link in the email: ${resetMail}`)
  const emailed = new URL(found)
  const link = new URL(`${emailed.pathname}${emailed.search}`, BASE).href
  step(`reset link emailed: ${emailed.origin}${emailed.pathname}?token=…`)

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    // A phone-sized window, and no JavaScript: the page must work without it.
    const { context, page, problems } = await newPage(browser)

    const opened = await page.goto(link)
    assert(opened?.status() === 200, `GET reset link: expected 200, got ${opened?.status()}`)
    const csp = opened.headers()['content-security-policy'] ?? ''
    assert(csp.includes("default-src 'none'") && !csp.includes('script-src'), `unexpected CSP: ${csp}`)
    const heading = await page.getByRole('heading', { level: 1 }).textContent()
    assert(heading === 'Choose a new password', `heading: ${heading}`)
    // The stylesheet is allowed by its hash: if the CSP blocked it, the button would be unstyled.
    const buttonColour = await page.getByRole('button').evaluate((b) => getComputedStyle(b).backgroundColor)
    assert(buttonColour === 'rgb(11, 87, 208)', `the page style did not apply (button ${buttonColour})`)

    await page.getByLabel('New password').fill(NEW_PASSWORD)
    mkdirSync(OUT, { recursive: true })
    await page.screenshot({ path: SHOTS.form, fullPage: true })
    step(`form filled; screenshot ${SHOTS.form}`)

    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/auth/email/reset'),
      page.getByRole('button', { name: 'Set new password' }).click(),
    ])
    assert(posted.status() === 200, `form post: expected 200, got ${posted.status()}`)
    await page.getByRole('heading', { level: 1, name: 'Password changed' }).waitFor({ timeout: 10_000 })
    const status = await page.getByRole('status').textContent()
    assert(/password has been changed/.test(status ?? ''), `status text: ${status}`)
    await page.screenshot({ path: SHOTS.done, fullPage: true })
    step(`"Password changed" shown; screenshot ${SHOTS.done}`)

    assert(problems.length === 0, `the browser reported problems:\n  ${problems.join('\n  ')}`)
    step('no console errors, page errors or failed requests')
    await context.close()
    await checkVerifyLink(browser)
    await checkPasskeys(browser)
    await checkReferencePages(browser)
    await checkHostedPages(browser)
  } finally {
    await browser.close()
  }

  await expectStatus('login with the new password', api('POST', '/api/v1/auth/login', { email, password: NEW_PASSWORD }), 200)
  await expectStatus('login with the old password', api('POST', '/api/v1/auth/login', { email, password: PASSWORD }), 401)
  await expectStatus('the session from before the reset', api('GET', '/api/v1/me', undefined, session.access_token), 401)
  await expectStatus('the used link', api('GET', `${emailed.pathname}${emailed.search}`), 400)
  step('the new password logs in; the old one, the old session and the used link do not')
}

let failed = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await stopWrangler()
    process.exit(130)
  })
}
try {
  await check()
  step('OK')
} catch (err) {
  failed = true
  console.error(`[check] FAILED: ${err instanceof Error ? err.message : err}`)
  if (log) console.error(`--- wrangler dev output (last 60 lines) ---\n${log.split('\n').slice(-60).join('\n')}`)
} finally {
  await stopWrangler()
  if (persistDir) rmSync(persistDir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
