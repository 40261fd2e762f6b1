import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { AppError } from '../errors'
import { isPool } from '../pools'

/**
 * `/api/v1/pools/{pool}/…` (SPEC §12): the request is served with that pool's dependencies
 * (its settings, issuer and storage); an unknown pool is 404 `not_found`.
 */
export const selectPool = createMiddleware<AppEnv>(async (c, next) => {
  const id = c.req.param('pool') ?? ''
  if (!isPool(c.var.deps.config, id)) throw new AppError('not_found', `No user pool named ${JSON.stringify(id.slice(0, 40))}`)
  c.set('deps', c.var.deps.inPool(id))
  await next()
})
