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
 * (the validators then parse Hono's cached copy of the text again).
 *
 * _Decision:_ an empty body is no body, whatever its content type (clients often send
 * `Content-Type: application/json` on every request): an endpoint that takes none (logout,
 * DELETE /me/sessions …) proceeds, one that needs one answers 400 `validation_error`.
 */
export const parseJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header('content-type')
  if (type && JSON_TYPE.test(type) && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    // A body-limit error while reading passes through (413).
    const text = await c.req.text()
    if (text.trim() === '') {
      // Every later read (`c.req.json()`, the validators) parses Hono's cached text: make it
      // null, no body. (Hono caches the read's promise, whatever `bodyCache`'s type says; the
      // tests of this rule would fail if a Hono upgrade changed that.)
      ;(c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve('null')
    } else {
      try {
        JSON.parse(text)
      } catch {
        throw new AppError('invalid_json', 'The request body is not valid JSON')
      }
    }
  }
  await next()
})
