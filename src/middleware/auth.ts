import { createMiddleware } from 'hono/factory'
import { idTime } from '../crypto/random'
import type { AppEnv } from '../env'
import { AppError, invalidAccessToken } from '../errors'
import { isLiveSession } from '../services/sessions'

// The scheme name is case-insensitive (RFC 7235 §2.1).
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i
const invalidToken = invalidAccessToken

/**
 * Verifies the bearer access token and its revocation marks: one signature check and at most
 * one KV read (none when the isolate read this session's state within AUTH_STATE_CACHE_SECONDS),
 * no D1 query (SPEC §6.3). Sets `c.var.auth`; a refusal carries `WWW-Authenticate: Bearer` (SPEC §3).
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  c.set('bearer', true) // its refusals carry `WWW-Authenticate: Bearer` (render-error.ts)
  const header = c.req.header('authorization')
  if (!header) throw new AppError('unauthorized', 'Send an access token: Authorization: Bearer <token>')
  const token = BEARER.exec(header)?.[1]
  if (!token) throw invalidToken()
  const deps = c.var.deps
  const claims = await (await deps.keyring()).verify(token, deps.now())
  if (!claims) throw invalidToken()
  const marks = await deps.authState.lookup(claims.sub, claims.sid)
  // A user mark kills every session that existed when it was set, except the one it keeps.
  const killedByUserMark = marks.user && marks.user.keep !== claims.sid && idTime(claims.sid) <= marks.user.before
  if (marks.sessionRevoked || killedByUserMark) throw invalidToken()
  c.set('auth', {
    userId: claims.sub,
    sessionId: claims.sid,
    role: claims.role,
    perms: claims.perms,
    amr: claims.amr,
    jti: claims.jti,
    exp: claims.exp,
    cachedProfile: marks.profile,
  })
  await next()
})

/**
 * For sensitive calls (password change, session management, staff routes): the session row in
 * D1 must still be live, so a revocation anywhere is effective at once.
 */
export const requireLiveSession = createMiddleware<AppEnv>(async (c, next) => {
  const { deps, auth } = c.var
  if (!isLiveSession(await deps.sessions.byId(auth.sessionId), auth.userId, deps.now())) throw invalidToken()
  await next()
})
