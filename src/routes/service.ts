import { z } from '@hono/zod-openapi'
import { jsonContent } from '../schemas/fields'
import { checkHealth } from '../services/health'
import { newRouter, routesOf } from './router'

const HealthResponse = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({ db: z.enum(['ok', 'fail']), kv: z.enum(['ok', 'fail']) }),
  })
  .openapi('Health')

const JwksResponse = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('Jwks')

const { route } = routesOf(['service'])

/** `/health` and `/.well-known/jwks.json`: outside /api/v1 (SPEC §3). */
export const service = newRouter()
  .openapi(
    route('get', '/health', {
      summary: 'Liveness of the service and its storage',
      responses: { 200: jsonContent(HealthResponse, 'Healthy'), 503: jsonContent(HealthResponse, 'A dependency failed') },
    }),
    async (c) => {
      const health = await checkHealth(c.var.deps)
      return c.json(health, health.status === 'ok' ? 200 : 503, { 'cache-control': 'no-store' })
    },
  )
  .openapi(
    route('get', '/.well-known/jwks.json', {
      summary: 'Public keys that verify access tokens',
      responses: { 200: jsonContent(JwksResponse, 'The JWK set (public members only)') },
    }),
    async (c) => {
      const keyring = await c.var.deps.keyring()
      return c.json(keyring.jwks, 200, { 'cache-control': 'public, max-age=300' })
    },
  )
