import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'

/**
 * Headers on every response: no MIME sniffing, no framing, no referrer, a deny-all CSP for API
 * answers (pages set their own), and HSTS in production.
 */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next()
  const h = c.res.headers
  h.set('x-content-type-options', 'nosniff')
  h.set('x-frame-options', 'DENY')
  if (!h.has('referrer-policy')) h.set('referrer-policy', 'no-referrer')
  if (!h.has('content-security-policy')) h.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
  if (c.env && (c.env as { ENVIRONMENT?: string }).ENVIRONMENT === 'production') {
    h.set('strict-transport-security', 'max-age=31536000; includeSubDomains')
  }
})

/**
 * The OpenID Provider's endpoints a browser app (a SPA with oauth4webapi) calls by `fetch`
 * (SPEC §15): open to every origin. They take no cookie (credentials are never allowed), only
 * what the caller sends: a client's credentials or a token.
 */
const OPEN_TO_BROWSERS =
  /^(?:\/pools\/[^/]+)?(?:\/oauth2\/(?:token|userinfo|revoke|introspect)|\/\.well-known\/openid-configuration)$|^\/\.well-known\/(?:jwks\.json|oauth-authorization-server(?:\/pools\/[^/]+)?)$/

/** CORS for the browser origins listed in CORS_ORIGINS (none by default), and any origin for OPEN_TO_BROWSERS. */
export const corsFromConfig = cors({
  origin: (origin, c) =>
    OPEN_TO_BROWSERS.test(c.req.path) || (c.var as AppEnv['Variables']).deps.config.CORS_ORIGINS.includes(origin) ? origin : null,
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
  exposeHeaders: ['X-Request-Id', 'Retry-After'],
  maxAge: 600,
})
