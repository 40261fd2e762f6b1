import type { Deps } from '../deps'
import { AppError } from '../errors'

const MINUTE_MS = 60_000

/**
 * Requests per client IP per minute on one group of endpoints (login, verify, reset, token):
 * an atomic D1 counter, so the limit holds across isolates. 429 `rate_limited` with Retry-After.
 */
export async function limitIpRequests(deps: Deps, group: string, ip: string): Promise<void> {
  const hit = await deps.rateLimits.hit(`req:${group}:${ip}`, MINUTE_MS, deps.now())
  if (hit.count > deps.config.AUTH_REQUESTS_PER_IP_PER_MINUTE) {
    throw new AppError('rate_limited', 'Too many requests from this address; slow down', {
      retryAfter: Math.max(1, Math.ceil(hit.resetInMs / 1000)),
    })
  }
}
