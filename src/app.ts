import { OpenAPIHono } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import { buildDeps } from './deps'
import type { AppEnv } from './env'
import { AppError } from './errors'
import { limitBody, parseJsonBody } from './middleware/body'
import { selectPool } from './middleware/pool'
import { requestId } from './middleware/request-id'
import { corsFromConfig, securityHeaders } from './middleware/security-headers'
import { renderError } from './render-error'
import { audit } from './routes/audit'
import { auth } from './routes/auth'
import { dev } from './routes/dev'
import { docsRoutes } from './routes/docs'
import { email } from './routes/email'
import { me } from './routes/me'
import { methodsServed } from './routes/method-not-allowed'
import { oauthClients } from './routes/oauth-clients'
import { hostedPages } from './routes/oauth2/pages'
import { oauth2Protocol } from './routes/oauth2/protocol'
import { places } from './routes/places'
import { policies } from './routes/policies'
import { roles } from './routes/roles'
import { newRouter } from './routes/router'
import { service } from './routes/service'
import { staff } from './routes/staff'
import { users } from './routes/users'

export const VERSION = '0.1.0'

const injectDeps = createMiddleware<AppEnv>(async (c, next) => {
  let waitUntil: (p: Promise<unknown>) => void
  try {
    const ctx = c.executionCtx
    waitUntil = (p) => ctx.waitUntil(p)
  } catch {
    waitUntil = () => {} // no execution context (app.request in a unit test): fire and forget
  }
  c.set('deps', buildDeps(c.env, waitUntil))
  await next()
})

/** Builds the Worker's Hono app: global middleware, mounted routers, one error renderer. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>()
  app.use('*', requestId, securityHeaders)
  // The runtime's ceiling, and the bench's baseline: no config, no I/O.
  app.get('/', (c) => c.json({ name: 'edge-auth', version: VERSION }))
  // What no route serves is refused before the body is read or a router's middleware (auth) runs:
  // a wrong method is a 405 whatever its body's size or its credentials.
  let table: ((path: string) => string[]) | undefined
  const served = (path: string) => {
    table ??= methodsServed(app.routes)
    return table(path)
  }
  const refusal = (method: string, path: string, allowed: string[]) =>
    allowed.length === 0
      ? new AppError('not_found', `No route for ${method} ${path}`)
      : new AppError('method_not_allowed', `${method} is not served here; allowed: ${allowed.join(', ')}`)
  const refuseUnserved = createMiddleware<AppEnv>(async (c, next) => {
    const allowed = served(c.req.path)
    // A CORS preflight is answered by corsFromConfig, or falls through to notFound below.
    if (c.req.method === 'OPTIONS' || allowed.includes(c.req.method)) return next()
    if (allowed.length > 0) c.header('allow', allowed.join(', '))
    throw refusal(c.req.method, c.req.path, allowed)
  })
  app.use('*', injectDeps, corsFromConfig, refuseUnserved, limitBody, parseJsonBody)

  // Chained, so the app's type carries every typed route for `hono/client` (AppType).
  const api = newRouter()
    .route('/auth', auth)
    .route('/auth/email', email)
    .route('/me', me)
    .route('/users', users)
    .route('/policies', policies)
    .route('/roles', roles)
    .route('/places', places)
    .route('/audit', audit)
    .route('/oauth-clients', oauthClients)
    .route('/', staff)
    // SPEC §12: a pool's end users, served by the same routers as `default`'s.
    .use('/pools/:pool/*', selectPool)
    .route('/pools/:pool/auth', auth)
    .route('/pools/:pool/auth/email', email)
    .route('/pools/:pool/me', me)
  const routes = app.route('/', service).route('/api/v1', api)
  // Development-only pages (404 in production): the passkey test page of `npm run check:browser`.
  // Outside the chain: a development page is no part of AppType, the typed client's routes.
  app.route('/api/v1/dev', dev)
  // SPEC §15: the OpenID Provider, the default pool's at the root and each pool's under /pools/:pool.
  app.route('/', oauth2Protocol())
  app.route('/api/v1', docsRoutes(app, VERSION))
  // SPEC §15 hosted sign-in pages (HTML, outside the API document), for `default` and each pool.
  app.route('/oauth2', hostedPages)
  app.use('/pools/:pool/oauth2/*', selectPool)
  app.route('/pools/:pool/oauth2', hostedPages)

  // A preflight nobody answered, or a route that matched but let the request through.
  app.notFound((c) => {
    const allowed = served(c.req.path)
    if (allowed.length > 0) c.header('allow', allowed.join(', '))
    return renderError(c, refusal(c.req.method, c.req.path, allowed.includes(c.req.method) ? [] : allowed))
  })
  app.onError((err, c) => renderError(c, err))
  return routes
}

/** The app's routes and their types: `hc<AppType>(baseUrl)` from `hono/client` gives a typed client. */
export type AppType = ReturnType<typeof createApp>
