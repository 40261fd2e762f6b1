import { createMiddleware } from 'hono/factory'
import { newId } from '../crypto/random'
import type { AppEnv } from '../env'

const VALID = /^[A-Za-z0-9._:-]{8,128}$/

/** Echoes a well-formed incoming X-Request-Id, else makes one; every response carries it. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id')
  const id = incoming && VALID.test(incoming) ? incoming : newId()
  c.set('requestId', id)
  await next()
  c.res.headers.set('x-request-id', id)
})
