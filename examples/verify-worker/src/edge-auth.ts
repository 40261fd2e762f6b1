// Verifies edge-auth access tokens offline, through edge-auth's JWKS: copy this file into any
// Hono Worker (it needs only `hono` and `jose`). Nothing here calls edge-auth per request: the
// key set is fetched once per isolate and cached (5 minutes, edge-auth's own max-age), and
// fetched again at once when a token names a key it has not seen (a rotation).
import { createMiddleware } from 'hono/factory'
import { createRemoteJWKSet, customFetch, type errors, type JWTPayload, jwtVerify } from 'jose'

export interface EdgeAuthOptions {
  /** Where edge-auth answers (its PUBLIC_URL): the keys are at `${url}/.well-known/jwks.json`. */
  url: string
  /** edge-auth's JWT_ISSUER and JWT_AUDIENCE: tokens for another issuer or audience are refused. */
  issuer: string
  audience: string
  /** The fetch that gets the JWKS (tests serve it from a fake); the global fetch otherwise. */
  fetch?: typeof fetch
}

/** Who called, from the verified access token. */
export interface EdgeAuthUser {
  id: string
  sessionId: string
  role: string
  perms: string[]
  tokenId: string
  expiresAt: number
}

/** The outcome of a verification: the user, or why the request gets no access. */
export type Verification = { ok: true; user: EdgeAuthUser } | { ok: false; status: 401 | 503; error: string }

const AUTH_SERVER_DOWN = ['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']

function userOf(payload: JWTPayload): EdgeAuthUser | null {
  const { sub, sid, jti, role, perms, exp } = payload
  const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0
  if (!isText(sub) || !isText(sid) || !isText(jti) || !isText(role) || typeof exp !== 'number') return null
  if (!Array.isArray(perms) || !perms.every((p) => typeof p === 'string')) return null
  return { id: sub, sessionId: sid, role, perms, tokenId: jti, expiresAt: exp }
}

/** A verifier holding one cached key set: create it once per isolate, not per request. */
export function createVerifier(options: EdgeAuthOptions): (token: string) => Promise<Verification> {
  const keys = createRemoteJWKSet(new URL('/.well-known/jwks.json', options.url), {
    cacheMaxAge: 5 * 60_000,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  })
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        // Pinned: edge-auth signs with Ed25519 (add 'ES256' if its JWT_PRIVATE_KEYS are P-256).
        // Never `none`, and never HS256, which would let a public key be used as a shared secret.
        algorithms: ['EdDSA'],
        // An access token (RFC 9068), not an ID token or any other JWT signed with the same key.
        typ: 'at+jwt',
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
      })
      const user = userOf(payload)
      return user ? { ok: true, user } : { ok: false, status: 401, error: 'invalid_token' }
    } catch (err) {
      // edge-auth unreachable or answering nonsense is not the caller's fault: 503, keep the token.
      const code = (err as errors.JOSEError).code
      if (code === undefined || AUTH_SERVER_DOWN.includes(code)) return { ok: false, status: 503, error: 'auth_unavailable' }
      return { ok: false, status: 401, error: 'invalid_token' }
    }
  }
}

/** True when the held permissions allow `wanted`: exact, `resource:*` or `*`, as edge-auth decides. */
export function grants(held: readonly string[], wanted: string): boolean {
  if (held.includes('*') || held.includes(wanted)) return true
  const [resource] = wanted.split(':')
  return wanted !== '*' && held.includes(`${resource}:*`)
}

export type AuthEnv<Bindings extends object> = { Bindings: Bindings; Variables: { user: EdgeAuthUser } }

const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i

/**
 * Requires a valid edge-auth access token and sets `c.var.user`. `options` reads the settings
 * from the Worker's env; the verifier (and its key cache) is built at the first request.
 */
export function requireUser<Bindings extends object>(options: (env: Bindings) => EdgeAuthOptions) {
  let verify: ReturnType<typeof createVerifier> | undefined
  return createMiddleware<AuthEnv<Bindings>>(async (c, next) => {
    const token = BEARER.exec(c.req.header('authorization') ?? '')?.[1]
    if (!token) {
      c.header('www-authenticate', 'Bearer')
      return c.json({ error: 'unauthorized' }, 401)
    }
    verify ??= createVerifier(options(c.env))
    const result = await verify(token)
    if (!result.ok) {
      if (result.status === 401) c.header('www-authenticate', 'Bearer error="invalid_token"')
      return c.json({ error: result.error }, result.status)
    }
    c.set('user', result.user)
    await next()
  })
}

/** Allows the call only when the token's `perms` grant `permission`; after requireUser. */
export function requirePermission<Bindings extends object>(permission: string) {
  return createMiddleware<AuthEnv<Bindings>>(async (c, next) => {
    if (!grants(c.var.user.perms, permission)) {
      c.header('www-authenticate', `Bearer error="insufficient_scope", scope="${permission}"`)
      return c.json({ error: 'forbidden', detail: `This needs the permission ${permission}` }, 403)
    }
    await next()
  })
}
