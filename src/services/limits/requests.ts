import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import { type BatchStatement, runBatch } from '../../storage/db/prepared'
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

/** 429 `rate_limited` for a client over a group's per-IP request limit. */
export const limited = (hit: Pick<Hit, 'resetInMs'>) =>
  new AppError('rate_limited', 'Too many requests from this address; slow down', {
    retryAfter: retryAfterSeconds(hit.resetInMs),
  })

/**
 * Requests per client IP per minute on one group of endpoints (login, verify, reset, token):
 * an atomic D1 counter, so the limit holds across isolates. 429 `rate_limited` with Retry-After.
 */
export async function limitIpRequests(deps: Deps, group: string, ip: string): Promise<void> {
  const hit = await deps.rateLimits.hit(`req:${group}:${ipBucket(ip)}`, MINUTE_MS, deps.now())
  if (hit.count > deps.config.AUTH_REQUESTS_PER_IP_PER_MINUTE) throw limited(hit)
}

export interface RequestCounter {
  key: string
  windowMs: number
  max: number
}

/** A group's per-IP counter, for a caller that hits it in a D1 batch of its own. */
export function requestCounter(deps: Deps, group: string, ip: string): RequestCounter {
  return { key: `req:${group}:${ipBucket(ip)}`, windowMs: MINUTE_MS, max: deps.config.AUTH_REQUESTS_PER_IP_PER_MINUTE }
}

/** Throws 429 `rate_limited` when a hit of `requestCounter` went over its limit. */
export function assertUnderRequestLimit(deps: Deps, row: HitRow | undefined, now: number): void {
  const hit = toHit(row, MINUTE_MS, now)
  if (hit.count > deps.config.AUTH_REQUESTS_PER_IP_PER_MINUTE) throw limited(hit)
}

/**
 * The same limit, counted in one D1 batch with the request's first read (which does no harm
 * when the limit then refuses the request): one round trip instead of two.
 */
export async function limitIpRequestsAnd<R>(deps: Deps, group: string, ip: string, read: BatchStatement<R>): Promise<R> {
  const now = deps.now()
  const counter = requestCounter(deps, group, ip)
  const [hits, result] = await runBatch(deps.db.$client, [deps.rateLimits.hitStatement(counter.key, counter.windowMs, now), read])
  assertUnderRequestLimit(deps, hits[0], now)
  return result
}
