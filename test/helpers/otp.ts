import { env } from 'cloudflare:workers'
import { call, json } from './app'
import { newIp, newPhone, PASSWORD, type SignedIn } from './factories'
import type { Outbox } from './outbox'

type Vars = Record<string, string>

// Shared with the factories, which send from fresh addresses too.
export { newIp } from './factories'

/** A code of the same length that is certainly not `code`. */
export function wrongCode(code: string): string {
  const n = (Number(code) + 1) % 10 ** code.length
  return String(n).padStart(code.length, '0')
}

/** The KV key holding a code's MAC, as `otp-codes.ts` names it. */
export const otpKey = (purpose: string, phone: string) => `otp:${purpose}:sms:${phone}`

export interface Pending {
  phone: string
  code: string
}

/** Registers (or re-registers) a pending phone and returns the code that was texted to it. */
export async function registerPending(box: Outbox, opts: { phone?: string; env?: Vars; ip?: string } = {}): Promise<Pending> {
  const phone = opts.phone ?? newPhone()
  const res = await call('POST', '/api/v1/auth/register', {
    json: { phone, password: PASSWORD, name: 'Ahmed' },
    env: opts.env,
    ip: opts.ip ?? newIp(),
  })
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`)
  return { phone, code: box.lastCode(phone) }
}

/** POST /auth/verify for a phone (a string) or an identifier (`{ phone }` or `{ email }`). */
export function verify(who: string | { phone: string } | { email: string }, code: string, env?: Vars): Promise<Response> {
  const to = typeof who === 'string' ? { phone: who } : who
  return call('POST', '/api/v1/auth/verify', { json: { ...to, code }, env })
}

/** An active, signed-in account, its register code sent from a fresh address. */
export async function activeUser(box: Outbox, opts: { env?: Vars } = {}): Promise<SignedIn> {
  const { phone, code } = await registerPending(box, opts)
  const res = await verify(phone, code, opts.env)
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${await res.text()}`)
  return { phone, ...(await json(res)) }
}

/** POST /auth/reset-password for a phone, from a fresh address. */
export function requestReset(phone: string, env?: Vars): Promise<Response> {
  return call('POST', '/api/v1/auth/reset-password', { json: { phone }, env, ip: newIp() })
}

/** The D1 challenge rows of a phone, oldest first. */
export async function challengesOf(phone: string) {
  const { results } = await env.DB.prepare(
    'SELECT id, purpose, attempts, failures, max_attempts, closed_at FROM otp_challenges WHERE destination = ? ORDER BY created_at, id',
  )
    .bind(`sms:${phone}`)
    .all<{ id: string; purpose: string; attempts: number; failures: number; max_attempts: number; closed_at: number | null }>()
  return results
}

/** The `sid` claim of an access token (read, not verified). */
export function sessionIdOf(accessToken: string): string {
  const payload = (accessToken.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')
  return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '='))).sid
}
