import { sha256Hex } from '../crypto/hash'
import { newId, randomToken } from '../crypto/random'
import type { Deps } from '../deps'
import { AppError } from '../errors'
import type { DeviceRow, UserRow } from '../storage/db/schema'
import type { ConsumeGate } from '../storage/repos/sessions'
import { type AuditEvent, audit, auditRow } from './audit'
import { effectivePermissions } from './effective-permissions'
import type { RightCode } from './otp'
import { toUserView, type UserView } from './user-view'

export interface ClientInfo {
  ip: string
  userAgent: string | null
}

export interface TokenResponse {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  refresh_token: string
  user: UserView
}

/** Refuses accounts that may not hold a session: pending (403 unverified) or disabled (403). */
export function assertCanSignIn(user: UserRow): void {
  if (user.status === 'pending') throw new AppError('unverified_account', 'Verify your phone or email before logging in')
  if (user.status !== 'active') throw new AppError('account_disabled', 'This account is disabled')
}

/** The token response for a session: a fresh access token and the given refresh token. */
export async function tokenResponse(
  deps: Deps,
  user: UserRow,
  devices: DeviceRow[],
  sessionId: string,
  refreshToken: string,
): Promise<TokenResponse> {
  const now = deps.now()
  const [keyring, perms] = await Promise.all([deps.keyring(), effectivePermissions(deps, user)])
  const accessToken = await keyring.sign({ sub: user.id, sid: sessionId, jti: newId(now), role: user.role, perms }, now)
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: deps.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    refresh_token: refreshToken,
    user: toUserView(user, devices),
  }
}

/**
 * Opens a session for a user who just proved who they are: a new session row holding the
 * refresh token's hash, an access token bound to it, and the user's last login. The sign-in's
 * audit event is written in the same D1 batch.
 */
export async function startSession(deps: Deps, user: UserRow, client: ClientInfo, event: AuditEvent): Promise<TokenResponse> {
  const started = await openSession(deps, user, client, event)
  if (!started.ok) throw new Error('a session without a gate always opens')
  return started.response
}

export type GatedStart = { ok: true; response: TokenResponse } | { ok: false; consumed: boolean }

/**
 * `startSession` for an active user whose right one-time code is consumed in the same D1 batch
 * (one round trip): the session opens only if this call consumed the code and the user is still
 * active. Otherwise nothing is written but, maybe, the code's consumption (`consumed`).
 */
export function startSessionWithCode(
  deps: Deps,
  user: UserRow,
  client: ClientInfo,
  event: AuditEvent,
  code: RightCode,
): Promise<GatedStart> {
  return openSession(deps, user, client, event, (sessionId) => ({
    challengeId: code.challengeId,
    consume: deps.otpChallenges.consumeQuery(
      code.challengeId,
      code.destination,
      code.now,
      deps.config.OTP_MAX_FAILURES_PER_DAY,
      sessionId,
    ),
  }))
}

async function openSession(
  deps: Deps,
  user: UserRow,
  client: ClientInfo,
  event: AuditEvent,
  gate?: (sessionId: string) => ConsumeGate,
): Promise<GatedStart> {
  const now = deps.now()
  const sessionId = newId(now)
  const refreshToken = randomToken(32)
  const refreshHash = await sha256Hex(refreshToken)
  // The login stamp is not a profile-invalidating write: a cached profile older than this
  // session's login is refused by GET /me anyway.
  const opened = await deps.sessions.open(
    {
      id: sessionId,
      userId: user.id,
      refreshHash,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + deps.config.REFRESH_TOKEN_EXPIRE_DAYS * 86_400_000,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
    },
    auditRow(deps, event),
    gate?.(sessionId),
  )
  if (!opened.opened) return { ok: false, consumed: opened.consumed }
  const response = await tokenResponse(deps, opened.user ?? user, opened.devices, sessionId, refreshToken)
  // This isolate serves GET /me with the profile just built (it carries the new last_login).
  deps.authState.sessionOpened(user.id, sessionId, response.user)
  return { ok: true, response }
}

/** Why sessions end, for the audit log. */
export interface RevokeContext {
  reason: string
  actorId?: string | undefined
  client?: ClientInfo | undefined
}

/**
 * Ends a user's sessions (all, or all but `keepSessionId`) in D1 and marks them in KV so their
 * access tokens fail at the next request (SPEC §6.3).
 */
export async function revokeUserSessions(deps: Deps, userId: string, keepSessionId?: string, why?: RevokeContext): Promise<void> {
  const now = deps.now()
  const ended = await deps.sessions.revokeAllOfUser(userId, now, keepSessionId)
  await deps.authState.markUser(userId, { before: now, keep: keepSessionId ?? null })
  if (why) {
    audit(deps, {
      type: 'sessions_revoked',
      actorId: why.actorId ?? userId,
      subjectId: userId,
      ...why.client,
      detail: { reason: why.reason, count: ended.length, kept: keepSessionId ?? null },
    })
  }
}

/** Ends one session of a user (logout, the user ending it elsewhere, refresh-token reuse). */
export async function revokeSession(deps: Deps, userId: string, sessionId: string, why?: RevokeContext): Promise<boolean> {
  const revoked = await deps.sessions.revoke(sessionId, userId, deps.now())
  // Only the owner's own live session is marked: an id guessed by someone else changes nothing.
  if (revoked) {
    await deps.authState.markSession(userId, sessionId)
    if (why) {
      audit(deps, {
        type: 'session_revoked',
        actorId: why.actorId ?? userId,
        subjectId: userId,
        ...why.client,
        detail: { reason: why.reason, session_id: sessionId },
      })
    }
  }
  return revoked
}
