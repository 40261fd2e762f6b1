import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { AppError } from '../errors'

export const MAX_BODY_BYTES = 64 * 1024

/** 413 for bodies over 64 KiB, chunked ones included (counted while streaming). */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES / 1024} KiB`)
  },
})

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i

/**
 * Parses a JSON body once, up front, so malformed JSON is a 400 `invalid_json` everywhere
 * (the validators then read Hono's cached copy).
 */
export const parseJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header('content-type')
  if (type && JSON_TYPE.test(type) && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    try {
      await c.req.json()
    } catch (err) {
      // Only a parse failure is the client's malformed JSON; a body-limit error passes through.
      if (err instanceof SyntaxError) throw new AppError('invalid_json', 'The request body is not valid JSON')
      throw err
    }
  }
  await next()
})
