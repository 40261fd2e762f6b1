import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { SessionRow } from '../../storage/db/schema'
import { type Page, page } from '../pagination'
import { type ClientInfo, ENDED_SESSIONS_KEPT_MS, revokeSession, revokeUserSessions, type UserSession } from './open'

export interface SessionView {
  id: string
  created_at: string
  last_used_at: string
  expires_at: string
  /** When it was revoked, or expired if that came first; null while it lives. */
  ended_at: string | null
  user_agent: string | null
  ip: string | null
  current: boolean
}

const iso = (ms: number) => new Date(ms).toISOString()

/** When a session ended (its revocation, or its expiry if that came first), or null while it lives. */
function endedAt(s: SessionRow, now: number): number | null {
  const end = Math.min(s.revokedAt ?? s.expiresAt, s.expiresAt)
  return end <= now ? end : null
}

function sessionView(s: SessionRow, self: UserSession, now: number): SessionView {
  const ended = endedAt(s, now)
  return {
    id: s.id,
    created_at: iso(s.createdAt),
    last_used_at: iso(s.lastUsedAt),
    expires_at: iso(s.expiresAt),
    ended_at: ended === null ? null : iso(ended),
    user_agent: s.userAgent,
    ip: s.ip,
    current: s.id === self.sessionId,
  }
}

export interface SessionQuery {
  limit: number
  cursor?: string | undefined
  /** `ended`: the sessions that ended in the last 30 days too (seed 003's history). */
  include?: 'ended' | undefined
}

/**
 * A page of the user's sessions, newest first, the calling one (`self`) marked `current`: the
 * live ones, or with `include: 'ended'` those that ended within ENDED_SESSIONS_KEPT_MS too.
 */
export async function listSessions(deps: Deps, self: UserSession, q: SessionQuery): Promise<Page<SessionView>> {
  const now = deps.now()
  const kept = now - ENDED_SESSIONS_KEPT_MS
  const rows = await deps.sessions.ofUser({
    userId: self.userId,
    now,
    page: q,
    endedSince: q.include === 'ended' ? kept : undefined,
    pruneBefore: kept,
  })
  return page(rows, q.limit, (s) => sessionView(s, self, now))
}

/**
 * One session of the user, live or ended (within ENDED_SESSIONS_KEPT_MS): another user's session
 * id is a 404, like an unknown one.
 */
export async function getSession(deps: Deps, self: UserSession, id: string): Promise<SessionView> {
  const now = deps.now()
  const row = await deps.sessions.byId(id)
  if (!row || row.userId !== self.userId || (endedAt(row, now) ?? now) < now - ENDED_SESSIONS_KEPT_MS) {
    throw new AppError('not_found', 'No such session')
  }
  return sessionView(row, self, now)
}

/** Ends one of the user's sessions; another user's session id is a 404, like an unknown one. */
export async function endSession(deps: Deps, target: UserSession, client: ClientInfo): Promise<void> {
  if (!(await revokeSession(deps, target, { reason: 'ended_by_user', client }))) {
    throw new AppError('not_found', 'No such session')
  }
}

/** Ends every session of the user but the calling one (`self`). */
export function endOtherSessions(deps: Deps, self: UserSession, client: ClientInfo): Promise<void> {
  return revokeUserSessions(deps, { userId: self.userId, keep: self.sessionId }, { reason: 'ended_by_user', client })
}

/** Logout: this session's refresh token and its access tokens stop working. */
export async function logout(deps: Deps, self: UserSession, client: ClientInfo): Promise<void> {
  await revokeSession(deps, self, { reason: 'logout', client })
}
