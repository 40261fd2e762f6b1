import { type CallOptions, call, json } from './app'
import type { Outbox } from './outbox'

export const PASSWORD = 'Tunis-Sol4r-2026'

let counter = 0
/** A fresh valid Tunisian mobile number per call (9x xxx xxx), in E.164. */
export function newPhone(): string {
  counter++
  const n = (Date.now() % 1_000_000) * 100 + (counter % 100)
  return `+2169${String(n % 10_000_000).padStart(7, '0')}`
}

let ipCounter = 0
/**
 * A fresh client address per call (TEST-NET-2), so the per-IP send limit, counted per test file,
 * never interferes with the rule a test is about.
 */
export function newIp(): string {
  ipCounter++
  return `198.51.${100 + Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`
}

export function newEmail(): string {
  counter++
  return `user${Date.now()}${counter}@example.tn`
}

export interface SignedIn {
  phone: string
  access_token: string
  refresh_token: string
  // biome-ignore lint/suspicious/noExplicitAny: test data
  user: any
}

/** Registers a phone, reads the code from the log and verifies it: an active, signed-in user. */
export async function signUp(
  box: Outbox,
  opts: { phone?: string; password?: string; email?: string; env?: Record<string, string> } = {},
): Promise<SignedIn> {
  const phone = opts.phone ?? newPhone()
  const reg = await call('POST', '/api/v1/auth/register', {
    json: { phone, password: opts.password ?? PASSWORD, name: 'Ahmed', ...(opts.email ? { email: opts.email } : {}) },
    env: opts.env,
  })
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${await reg.text()}`)
  const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) }, env: opts.env })
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${await res.text()}`)
  return { phone, ...(await json(res)) }
}

/** Password login; returns the token response. */
export async function logIn(phone: string, password = PASSWORD): Promise<SignedIn> {
  const res = await call('POST', '/api/v1/auth/login', { json: { phone, password } })
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`)
  return { phone, ...(await json(res)) }
}

/** Who sends a request: its vars, address (a fresh one by default) and headers. */
export type From = Pick<CallOptions, 'env' | 'ip' | 'headers'>

/**
 * POST /auth/register with the test password unless `body` names one, from a fresh address
 * unless `ip` is given (so the per-IP limits stay out of tests about other rules).
 */
export function register(body: Record<string, unknown>, from: From = {}): Promise<Response> {
  return call('POST', '/api/v1/auth/register', { json: { password: PASSWORD, ...body }, ...from, ip: from.ip ?? newIp() })
}

/** POST /auth/login as sent (the answer, whatever it is), from a fresh address unless `ip` is given. */
export function login(body: Record<string, unknown>, from: From = {}): Promise<Response> {
  return call('POST', '/api/v1/auth/login', { json: body, ...from, ip: from.ip ?? newIp() })
}
