import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { assertHuman } from '../services/limits'

/**
 * SPEC §5 bot defence for an endpoint that sends a code or a link: with TURNSTILE_SECRET_KEY set,
 * the JSON body's `turnstile_token` must pass siteverify before anything else runs (limits, D1,
 * validation): 400 `turnstile_failed`. `when` picks the requests it applies to (POST /login: use_otp).
 */
export function requireTurnstile(when: (body: Record<string, unknown>) => boolean = () => true) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const deps = c.var.deps
    if (deps.config.TURNSTILE_SECRET_KEY !== undefined && (c.req.method === 'POST' || c.req.method === 'PATCH')) {
      // parseJsonBody already read and checked the text; a non-object body has no token.
      const parsed: unknown = await c.req.json().catch(() => null)
      const body = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
      if (when(body)) await assertHuman(deps, body.turnstile_token, c.req.header('cf-connecting-ip') ?? 'unknown')
    }
    await next()
  })
}
