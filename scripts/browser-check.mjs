// `npm run check:browser`: the password reset page of a real `wrangler dev`, driven by a real
// browser (issue 5), passkeys (issue 19): the development passkey test page enrols a passkey
// and signs in with it in Chromium with a virtual authenticator (DevTools protocol `WebAuthn`), and the
// API reference pages (/api/v1/docs and /api/v1/redoc) with the network to anything but the service
// blocked (issue 18). Starts `wrangler dev` on port 8791 with fresh local storage, signs up by
// email, asks for a reset, opens the emailed link in headless Chromium (Debian's `chromium`
// package, through playwright-core) with JavaScript disabled, chooses a new password through the
// form, and checks the result over HTTP. Screenshots go to bench/out/ (git-ignored). Exits
// non-zero on any failure; wrangler is always stopped.
//   apt-get install -y chromium && npm run check:browser
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { copyAssets } from './assets.mjs'
import { ensureDevVars } from './dev-vars.mjs'

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

function startWrangler() {
  if (ensureDevVars()) step('generated .dev.vars (development secrets)')
  if (copyAssets().length > 0) step('copied the API reference bundles into public/vendor')
  persistDir = mkdtempSync(join(tmpdir(), 'edge-auth-browser-'))
  const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' }
  const migrate = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], {
    env,
    encoding: 'utf8',
  })
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`)
  step(`migrations applied to ${persistDir}`)

  const vars = { PUBLIC_URL: BASE, OTP_RESEND_COOLDOWN_SECONDS: '0' }
  // `log`, not `info`: wrangler prints the Worker's console.log (the console email provider) at level `log`.
  const args = ['dev', '--port', String(PORT), '--persist-to', persistDir, '--log-level', 'log']
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

/** The body of the last text the console SMS provider printed for `to`, once there is one. */
function smsText(to) {
  const lines = log.split('\n').filter((l) => l.includes(`[sms] to=${to} `))
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
