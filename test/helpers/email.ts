import { env } from 'cloudflare:workers'
import { call, json } from './app'
import { newEmail, PASSWORD } from './factories'
import { newIp } from './otp'
import type { Outbox } from './outbox'

type Vars = Record<string, string>

/** PUBLIC_URL's default: the links in emails point at `wrangler dev` on port 8787. */
export const PUBLIC_URL = 'http://localhost:8787'
const LINK = {
  reset: /http:\/\/localhost:8787\/api\/v1\/auth\/email\/reset\?token=([A-Za-z0-9_-]+)/,
  verify: /http:\/\/localhost:8787\/api\/v1\/auth\/email\/verify\?token=([A-Za-z0-9_-]+)/,
}

export interface Link {
  url: string
  token: string
  /** Path and query, for `call()`. */
  path: string
}

/** The reset or verification link in an email's text; throws when there is none. */
export function linkIn(text: string, kind: 'reset' | 'verify'): Link {
  const m = LINK[kind].exec(text)
  if (!m) throw new Error(`no ${kind} link in ${JSON.stringify(text)}`)
  const url = m[0]
  return { url, token: m[1] as string, path: url.slice(PUBLIC_URL.length) }
}

/** The text of the last email sent to `address`. */
export function lastEmail(box: Outbox, address: string): string {
  const last = box.to(address).at(-1)
  if (last?.channel !== 'email') throw new Error(`no email was sent to ${address}`)
  return last.text
}

export interface EmailUser {
  email: string
  access_token: string
  refresh_token: string
  // biome-ignore lint/suspicious/noExplicitAny: test data
  user: any
}

/** Registers with an email only and verifies the emailed code: an active, signed-in account. */
export async function emailUser(box: Outbox, vars: Vars, opts: { email?: string; name?: string } = {}): Promise<EmailUser> {
  const email = opts.email ?? newEmail()
  const reg = await call('POST', '/api/v1/auth/register', {
    json: { email, password: PASSWORD, ...(opts.name ? { name: opts.name } : {}) },
    env: vars,
    ip: newIp(),
  })
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${await reg.text()}`)
  const res = await call('POST', '/api/v1/auth/verify', { json: { email, code: box.lastCode(email) }, env: vars })
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${await res.text()}`)
  return { email, ...(await json(res)) }
}

/** The users row as stored (D1 integers for booleans). */
export function userRow(id: string) {
  return env.DB.prepare('SELECT email, email_verified, phone, status FROM users WHERE id = ?')
    .bind(id)
    .first<{ email: string | null; email_verified: number; phone: string | null; status: string }>()
}

/** The link_tokens rows of a user. */
export async function linkRows(userId: string) {
  const { results } = await env.DB.prepare('SELECT purpose, email, used_at FROM link_tokens WHERE user_id = ?')
    .bind(userId)
    .all<{ purpose: string; email: string; used_at: number | null }>()
  return results
}
