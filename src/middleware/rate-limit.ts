import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { limitIpRequests } from '../services/limits'

/** Per-IP request limit for a group of credential endpoints; runs before validation and hashing. */
export function rateLimit(group: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await limitIpRequests(c.var.deps, group, c.req.header('cf-connecting-ip') ?? 'unknown')
    await next()
  })
}
