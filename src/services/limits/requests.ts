import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import { type Hit, type HitRow, toHit } from '../../storage/repos/rate-limits'
import { MINUTE_MS } from '../../time'

/**
 * The bucket a client address is counted in: an IPv4 address itself, an IPv6 address by its /64.
 * A single host is routinely given a whole /64 and can rotate through it at will, so counting
 * IPv6 addresses one by one would let one client bypass every per-IP limit.
 */
export function ipBucket(ip: string): string {
  if (!ip.includes(':')) return ip
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  if (mapped?.[1]) return mapped[1]
  const [head = '', tail] = ip.toLowerCase().split('::', 2)
  const front = head ? head.split(':') : []
  const back = tail ? tail.split(':') : []
  const groups = tail === undefined ? front : [...front, ...Array(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back]
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/**
 * Where an endpoint's per-IP request limit is counted: by the `rateLimit` middleware before
 * validation (`route`), or in the same D1 round trip as the endpoint's first storage intent
 * (`intent`: the service passes `requestCounter(deps, groupOf(endpoint), ip)` to it, one round
 * trip fewer). `none`: no per-IP request limit (signed-in endpoints, limited by their session).
 */
export type CountedIn = 'route' | 'intent' | 'none'

/** The groups of endpoints that share one per-IP request counter (`req:<group>:<ip bucket>`). */
export type RequestGroup = 'register' | 'verify' | 'login' | 'reset' | 'refresh' | 'email-link' | 'account' | 'passkey'

interface RequestLimit {
  group: RequestGroup | null
  countedIn: CountedIn
}

const route = <G extends RequestGroup>(group: G) => ({ group, countedIn: 'route' as const })
const intent = <G extends RequestGroup>(group: G) => ({ group, countedIn: 'intent' as const })
const signedIn = { group: null, countedIn: 'none' as const }

/**
 * Every endpoint under /api/v1/auth that takes a request (every POST, and the link pages), its
 * request-limit group and where the group is counted: once per request, in exactly one place.
 * test/integration/request-limits.test.ts holds every POST route of the app to this table.
 */
export const REQUEST_LIMITS = {
  'POST /auth/register': intent('register'), // with the send limits and the reservation
  'POST /auth/verify': intent('verify'), // with the code's challenge row
  'POST /auth/login': intent('login'), // with the lockout rows and the account (use_otp: with the send)
  'POST /auth/token': intent('login'), // password grant as /login; refresh grant before refreshing (which counts refresh too)
  'POST /auth/reset-password': intent('reset'), // with the send limits and the reservation
  'POST /auth/refresh': intent('refresh'), // with the rotation
  'POST /auth/mfa/verify': intent('verify'), // with the mfa token's attempt (SPEC §14)
  'POST /auth/passkey/options': intent('passkey'), // with the challenge and the account's passkeys
  'POST /auth/passkey/verify': intent('passkey'), // with the passkey and its account
  'POST /auth/confirm-reset': route('verify'),
  'GET /auth/email/verify': route('email-link'),
  'POST /auth/email/verify': route('email-link'),
  'GET /auth/email/reset': route('email-link'),
  'POST /auth/email/reset': route('email-link'),
  // A stolen token must not buy unbounded password hashing (review of issue 14): counted before the password.
  'POST /auth/change-password': route('account'),
  'DELETE /me': route('account'),
  // Turning TOTP off re-enters the password (hashed): counted before it, as DELETE /me.
  'DELETE /me/mfa/totp': route('account'),
  'PATCH /me': intent('account'), // when it changes the email or phone: with the send reservation, before the password
  'POST /auth/logout': signedIn,
  'POST /auth/email/verify-request': signedIn,
} as const satisfies Record<string, RequestLimit>

type Limits = typeof REQUEST_LIMITS
/** The endpoints whose service counts their group in its first storage intent. */
export type IntentEndpoint = { [E in keyof Limits]: Limits[E]['countedIn'] extends 'intent' ? E : never }[keyof Limits]

/** The request-limit group an `intent` endpoint's service counts. */
export const groupOf = <E extends IntentEndpoint>(endpoint: E): Limits[E]['group'] => REQUEST_LIMITS[endpoint].group

/** The group the route middleware counts for `METHOD /path` (path under /api/v1; HEAD as GET), if any. */
export function routeCountedGroup(method: string, path: string): RequestGroup | undefined {
  const limit: RequestLimit | undefined = (REQUEST_LIMITS as Record<string, RequestLimit>)[
    `${method === 'HEAD' ? 'GET' : method} ${path}`
  ]
  return limit?.countedIn === 'route' && limit.group ? limit.group : undefined
}

/** 429 `rate_limited` for a client over a group's per-IP request limit. */
export const limited = (hit: Pick<Hit, 'resetInMs'>) =>
  new AppError('rate_limited', 'Too many requests from this address; slow down', {
    retryAfter: retryAfterSeconds(hit.resetInMs),
  })

/**
 * Requests per client IP per minute on one group of endpoints (login, verify, reset, token):
 * an atomic D1 counter, so the limit holds across isolates. 429 `rate_limited` with Retry-After.
 */
export async function limitIpRequests(deps: Deps, group: RequestGroup, ip: string): Promise<void> {
  const hit = await deps.rateLimits.hit(`req:${group}:${ipBucket(ip)}`, MINUTE_MS, deps.now())
  if (hit.count > deps.config.AUTH_REQUESTS_PER_IP_PER_MINUTE) throw limited(hit)
}

export interface RequestCounter {
  key: string
  windowMs: number
  max: number
}

/** A group's per-IP counter, for a caller that hits it in a D1 batch of its own. */
export function requestCounter(deps: Deps, group: RequestGroup, ip: string): RequestCounter {
  return { key: `req:${group}:${ipBucket(ip)}`, windowMs: MINUTE_MS, max: deps.config.AUTH_REQUESTS_PER_IP_PER_MINUTE }
}

/** Throws 429 `rate_limited` when a hit of `requestCounter` went over its limit. */
export function assertUnderRequestLimit(deps: Deps, row: HitRow | undefined, now: number): void {
  const hit = toHit(row, MINUTE_MS, now)
  if (hit.count > deps.config.AUTH_REQUESTS_PER_IP_PER_MINUTE) throw limited(hit)
}
