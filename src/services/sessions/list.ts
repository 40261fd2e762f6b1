import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { page } from '../pagination'
import { type ClientInfo, revokeSession, revokeUserSessions, type UserSession } from './open'

export interface SessionView {
  id: string
  created_at: string
  last_used_at: string
  expires_at: string
  user_agent: string | null
  ip: string | null
  current: boolean
}

const iso = (ms: number) => new Date(ms).toISOString()

/** A page of the user's live sessions, newest first, the calling one (`self`) marked `current`. */
export async function listSessions(
  deps: Deps,
  self: UserSession,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: SessionView[]; next_cursor: string | null }> {
  const rows = await deps.sessions.liveOf(self.userId, deps.now(), q)
  return page(rows, q.limit, (s) => ({
    id: s.id,
    created_at: iso(s.createdAt),
    last_used_at: iso(s.lastUsedAt),
    expires_at: iso(s.expiresAt),
    user_agent: s.userAgent,
    ip: s.ip,
    current: s.id === self.sessionId,
  }))
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
