import { env } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import { expect } from 'vitest'
import { call, expectError, json } from './app'
import { PASSWORD, type SignedIn } from './factories'

type Vars = Record<string, string>

export interface Tokens {
  access_token: string
  refresh_token: string
}

/** POST /auth/refresh with a refresh token. */
export function refresh(refreshToken: string, vars?: Vars): Promise<Response> {
  return call('POST', '/api/v1/auth/refresh', { json: { refresh_token: refreshToken }, env: vars })
}

/** GET /me with an access token. */
export function getMe(accessToken: string, vars?: Vars): Promise<Response> {
  return call('GET', '/api/v1/me', { token: accessToken, env: vars })
}

/** Password login that may carry overrides, headers and a client address; returns the token response. */
export async function logInWith(
  phone: string,
  opts: { env?: Vars; headers?: Record<string, string>; ip?: string; password?: string } = {},
): Promise<SignedIn> {
  const res = await call('POST', '/api/v1/auth/login', {
    json: { phone, password: opts.password ?? PASSWORD },
    env: opts.env,
    headers: opts.headers,
    ip: opts.ip,
  })
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`)
  return { phone, ...(await json(res)) }
}

/** The `sid` claim of an access token (decoded, not verified). */
export function sidOf(accessToken: string): string {
  return String(decodeJwt(accessToken).sid)
}

/** Lets the clock move on (workerd advances `Date.now()` only across I/O and timers). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Both tokens of a session are refused: the access token at /me, the refresh token at /refresh. */
export async function expectSessionDead(tokens: Tokens, vars?: Vars): Promise<void> {
  await expectError(await getMe(tokens.access_token, vars), 401, 'invalid_token')
  await expectError(await refresh(tokens.refresh_token, vars), 401, 'invalid_token')
}

/** Both tokens of a session still work; returns the rotated pair (the old refresh token is spent). */
export async function expectSessionAlive(tokens: Tokens, vars?: Vars): Promise<Tokens> {
  const me = await getMe(tokens.access_token, vars)
  expect(me.status, await me.clone().text()).toBe(200)
  const res = await refresh(tokens.refresh_token, vars)
  expect(res.status, await res.clone().text()).toBe(200)
  return json(res)
}

/** Rows of a table that belong to a user (`column` names the user id column). */
export async function countRows(table: 'users' | 'sessions' | 'devices', column: string, userId: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).bind(userId).first<{ n: number }>()
  return row?.n ?? 0
}
