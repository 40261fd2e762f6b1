import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { limitIpRequests, routeCountedGroup } from '../services/limits'

const API = '/api/v1'
const POOL_PREFIX = /^\/pools\/[^/]+(?=\/)/

/**
 * The per-IP request limit of the endpoints REQUEST_LIMITS (services/limits/requests.ts) says
 * the route counts, before validation and hashing; every other request passes untouched.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  // A pool's routes count as the same endpoints of `default` (SPEC §12: one per-IP limit for all pools).
  const path = (c.req.path.startsWith(API) ? c.req.path.slice(API.length) : c.req.path).replace(POOL_PREFIX, '')
  const group = routeCountedGroup(c.req.method, path)
  if (group) await limitIpRequests(c.var.deps, group, c.req.header('cf-connecting-ip') ?? 'unknown')
  await next()
})
