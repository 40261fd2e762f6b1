import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { timingSafeEqual } from '../crypto/compare'
import { bytesToBase64Url, utf8 } from '../crypto/encoding'
import { hmacSha256 } from '../crypto/hash'
import { randomToken } from '../crypto/random'
import type { AppEnv } from '../env'

/**
 * CSRF protection of the hosted pages' forms (SPEC §15): a signed double submit. The browser holds
 * a random value in an HttpOnly `__Host-` cookie (this origin only, no subdomain can plant one); each
 * form carries HMAC(OTP_PEPPER, value) in its hidden `csrf` field. A cross-site POST has the cookie
 * (SameSite=Lax lets top-level POSTs through on some browsers' first two minutes, and same-site
 * siblings send it anyway) but cannot read the page, so it cannot know the field.
 */
export const CSRF_COOKIE = '__Host-edge-auth-csrf'
export const CSRF_FIELD = 'csrf'

const VALUE = /^[A-Za-z0-9_-]{43}$/

const sign = async (c: Context<AppEnv>, value: string) =>
  bytesToBase64Url(await hmacSha256(c.var.deps.config.OTP_PEPPER, `csrf|${value}`))

/** The `csrf` field of a form this response renders; sets the cookie when the browser has none. */
export async function csrfToken(c: Context<AppEnv>): Promise<string> {
  let value = getCookie(c, CSRF_COOKIE)
  if (!value || !VALUE.test(value)) {
    value = randomToken(32)
    // A browser-session cookie: it outlives no tab session, and the forms it protects are short-lived.
    setCookie(c, CSRF_COOKIE, value, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' })
  }
  return sign(c, value)
}

/** Whether a posted `csrf` field matches this browser's cookie (constant-time). */
export async function csrfAccepted(c: Context<AppEnv>, field: unknown): Promise<boolean> {
  const value = getCookie(c, CSRF_COOKIE)
  if (!value || !VALUE.test(value) || typeof field !== 'string' || field.length > 64) return false
  return timingSafeEqual(utf8(await sign(c, value)), utf8(field))
}
