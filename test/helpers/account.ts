import { env } from 'cloudflare:workers'
import { newId } from '../../src/crypto/random'
import { call, json } from './app'
import { newPhone, type SignedIn } from './factories'
import { ACCESS_HEADER, claimsFrom, serverKey, signRaw } from './jwt'
import { newIp } from './otp'
import type { Outbox } from './outbox'
import { sidOf } from './sessions'

type Vars = Record<string, string>

/** PATCH /me from a fresh client address. */
export function patchMe(token: string, body: object, vars?: Vars): Promise<Response> {
  return call('PATCH', '/api/v1/me', { token, json: body, env: vars, ip: newIp() })
}

/** POST /auth/email/verify with the emailed code (confirms the pending or unverified email). */
export function confirmEmail(token: string, code: string, vars?: Vars): Promise<Response> {
  return call('POST', '/api/v1/auth/email/verify', { token, json: { code }, env: vars, ip: newIp() })
}

/** POST /me/phone/verify with the texted code (confirms the pending or unverified phone). */
export function confirmPhone(token: string, code: string, vars?: Vars): Promise<Response> {
  return call('POST', '/api/v1/me/phone/verify', { token, json: { code }, env: vars, ip: newIp() })
}

/** A passwordless account (OTP sign-up by phone), signed in just now. */
export async function passwordlessUser(box: Outbox, vars: Vars): Promise<SignedIn> {
  const phone = newPhone()
  const sent = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: vars, ip: newIp() })
  if (sent.status !== 202) throw new Error(`otp login failed: ${sent.status} ${await sent.text()}`)
  const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) }, env: vars })
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${await res.text()}`)
  return { phone, ...(await json(res)) }
}

/**
 * An access token for a copy of the token's session opened `agoMs` ago (its id carries its
 * creation time, as a real one does): a sign-in that long ago, without waiting for it.
 */
export async function tokenOfSessionOpenedAgo(accessToken: string, agoMs: number): Promise<string> {
  const sid = newId(Date.now() - agoMs)
  await env.DB.prepare(
    `INSERT INTO sessions (id, user_id, pool, refresh_hash, created_at, last_used_at, expires_at, user_agent, ip, auth_time, amr)
     SELECT ?, user_id, pool, ?, created_at - ?, last_used_at, expires_at, user_agent, ip, auth_time - ?, amr FROM sessions WHERE id = ?`,
  )
    .bind(sid, `old-${sid}`, agoMs, agoMs, sidOf(accessToken))
    .run()
  const { privateKey } = await serverKey(ACCESS_HEADER.kid)
  return signRaw(ACCESS_HEADER, claimsFrom(accessToken, { sid, jti: crypto.randomUUID() }), privateKey)
}

/** The pending and current contact columns of a user, as stored. */
export function contactRow(id: string) {
  return env.DB.prepare(
    'SELECT email, email_verified, phone, phone_verified, pending_email, pending_phone FROM users WHERE id = ?',
  )
    .bind(id)
    .first<{
      email: string | null
      email_verified: number
      phone: string | null
      phone_verified: number
      pending_email: string | null
      pending_phone: string | null
    }>()
}
