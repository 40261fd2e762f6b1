import type { Deps } from './deps'

/** Who the access token says is calling (set by requireAuth). */
export interface AuthContext {
  userId: string
  sessionId: string
  role: string
  perms: string[]
  /** RFC 8176 methods the session's sign-in used (SPEC §14); undefined for sessions opened before them. */
  amr: string[] | undefined
  jti: string
  exp: number
  /** The user's cached profile from the same KV read, when present (unvalidated JSON). */
  cachedProfile: unknown
}

export interface AppEnv {
  Bindings: Env
  Variables: {
    requestId: string
    deps: Deps
    auth: AuthContext
    /** Set by requireAuth: the request is for a protected endpoint, so its 401s and 403s carry a Bearer challenge. */
    bearer: true
  }
}
