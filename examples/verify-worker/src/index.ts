// A Worker of your own that trusts edge-auth: its /api routes need an edge-auth access token,
// verified offline against edge-auth's JWKS, and some need a permission from the token's `perms`
// (granted by edge-auth policies, e.g. `places:read`).
import { Hono } from 'hono'
import { type AuthEnv, type EdgeAuthOptions, requirePermission, requireUser } from './edge-auth'

export interface Env {
  EDGE_AUTH_URL: string
  EDGE_AUTH_ISSUER: string
  EDGE_AUTH_AUDIENCE: string
}

type Places = { id: number; name: string }[]

/** The Worker's app; `fetchJwks` only for tests, which serve the JWKS from a fake. */
export function createApp(fetchJwks?: typeof fetch) {
  const settings = (env: Env): EdgeAuthOptions => ({
    url: env.EDGE_AUTH_URL,
    issuer: env.EDGE_AUTH_ISSUER,
    audience: env.EDGE_AUTH_AUDIENCE,
    ...(fetchJwks ? { fetch: fetchJwks } : {}),
  })
  const places: Places = [{ id: 1, name: 'Borne Lac 2' }]

  const app = new Hono<AuthEnv<Env>>()
  app.get('/', (c) => c.json({ name: 'verify-worker', docs: 'examples/verify-worker/README.md' }))
  app.use('/api/*', requireUser(settings))
  app.get('/api/whoami', (c) => c.json(c.var.user))
  app.get('/api/places', requirePermission('places:read'), (c) => c.json({ items: places }))
  app.post('/api/places', requirePermission('places:write'), async (c) => {
    const place = { id: places.length + 1, name: String((await c.req.json<{ name?: unknown }>()).name ?? 'unnamed') }
    places.push(place)
    return c.json(place, 201)
  })
  return app
}

export default createApp()
