import { sha256Hex } from '../../crypto/hash'
import { newId, randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { DeviceRow, SessionRow, UserRow } from '../../storage/db/schema'
import type { NewSession, PasswordRehash } from '../../storage/repos/sessions'
import { DAY_MS } from '../../time'
import { toUserView, type UserView } from '../account'
import { type AuditEvent, audit, auditRow } from '../audit'
import { type PermissionGrant, permissionsFrom } from '../iam'

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

/**
 * Whom a token response is for: the account and its devices (for the profile it carries), and
 * the policies its permissions come from, read in the batch that opened or refreshed the session.
 */
export interface SessionHolder {
  user: UserRow
  devices: DeviceRow[]
  grants: readonly PermissionGrant[]
}

/**
 * The session a token response is for: its id (the access token's `sid`), its current refresh
 * token, and how and when its holder signed in (`amr`, `auth_time`: SPEC §14), kept on the session row.
 */
export interface SessionTokens {
  id: string
  refreshToken: string
  amr: string[] | undefined
  /** Unix milliseconds. */
  authTime: number
  /** The OAuth client the session was issued to and the scopes it holds (SPEC §15); null for the JSON API's sessions. */
  clientId?: string | null | undefined
  scope?: string | null | undefined
  /** A third-party client's audience (thirdPartyAudience): its tokens reach userinfo only, with no permissions. */
  audience?: string | undefined
}

/**
 * A session row's `amr` and `auth_time` as a token carries them (rows from before issue 19: no amr,
 * auth_time its opening), and its OAuth client and scopes.
 */
export function signedInHow(
  row: Pick<SessionRow, 'amr' | 'authTime' | 'createdAt' | 'clientId' | 'scope'>,
): Pick<SessionTokens, 'amr' | 'authTime' | 'clientId' | 'scope'> {
  return {
    amr: row.amr ? row.amr.split(',') : undefined,
    authTime: row.authTime ?? row.createdAt,
    clientId: row.clientId,
    scope: row.scope,
  }
}

/** The token response for a session: a fresh access token and the given refresh token. */
export async function tokenResponse(deps: Deps, holder: SessionHolder, session: SessionTokens): Promise<TokenResponse> {
  const { user, devices } = holder
  const now = deps.now()
  const keyring = await deps.keyring()
  // A third-party client's token carries no permission: it is for userinfo, not the account.
  const perms = session.audience ? [] : permissionsFrom(user.role, holder.grants)
  const accessToken = await keyring.sign(
    {
      sub: user.id,
      sid: session.id,
      jti: newId(now),
      role: user.role,
      perms,
      amr: session.amr,
      auth_time: Math.floor(session.authTime / 1000),
      ...(session.clientId ? { client_id: session.clientId, scope: session.scope ?? '' } : {}),
      ...(session.audience ? { aud: session.audience } : {}),
    },
    now,
  )
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: deps.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    refresh_token: session.refreshToken,
    user: toUserView(user, devices),
  }
}

/** A session about to open: its id, its refresh token, and the row that stores its hash. */
export interface SessionDraft extends SessionTokens {
  row: NewSession
}

/**
 * A session issued to an OAuth client (SPEC §15, `/oauth2/token`): the client, the scopes granted,
 * the browser session it came from (RP-initiated logout ends it too), and that sign-in's time
 * (Unix ms; its `amr` is the session's). `ttlMs`: a shorter life than REFRESH_TOKEN_EXPIRE_DAYS.
 */
export interface OAuthGrant {
  clientId: string
  scope: string
  browserSessionId: string | null
  authTime: number
  ttlMs?: number | undefined
  /** A third-party client's audience (thirdPartyAudience); absent for first-party clients. */
  audience?: string | undefined
}

/** Who a new session is for, where from, and how they signed in (RFC 8176 `amr` values). */
export interface SessionFor {
  userId: string
  client: ClientInfo
  amr: string[]
  /** An OAuth client's session; absent for the JSON API's own sign-ins. */
  oauth?: OAuthGrant | undefined
}

export async function newSession(deps: Deps, { userId, client, amr, oauth }: SessionFor): Promise<SessionDraft> {
  const now = deps.now()
  const id = newId(now)
  const refreshToken = randomToken(32)
  const authTime = oauth?.authTime ?? now
  return {
    id,
    refreshToken,
    amr,
    authTime,
    clientId: oauth?.clientId ?? null,
    scope: oauth?.scope ?? null,
    audience: oauth?.audience,
    row: {
      id,
      userId,
      refreshHash: await sha256Hex(refreshToken),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + (oauth?.ttlMs ?? deps.config.REFRESH_TOKEN_EXPIRE_DAYS * DAY_MS),
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      authTime,
      amr: amr.join(','),
      clientId: oauth?.clientId ?? null,
      scope: oauth?.scope ?? null,
      browserSessionId: oauth?.browserSessionId ?? null,
    },
  }
}

/** The token response of a session just opened; this isolate then serves GET /me with its profile. */
export async function openedResponse(deps: Deps, session: SessionDraft, holder: SessionHolder): Promise<TokenResponse> {
  const { user } = holder
  const response = await tokenResponse(deps, holder, session)
  // The profile just built carries the new last_login: a cached profile older than it is refused anyway.
  deps.authState.sessionOpened(user.id, session.id, response.user)
  return response
}

/** How a user just signed in: the client they came from, the sign-in's audit event, and its RFC 8176 methods. */
export interface SignIn {
  client: ClientInfo
  event: AuditEvent
  /** The password verified was stored in an outdated hash: its replacement, written in the same batch. */
  rehash?: PasswordRehash | undefined
  amr: string[]
}

/**
 * Opens a session for a user who just proved who they are: a new session row holding the
 * refresh token's hash, an access token bound to it, and the user's last login. The sign-in's
 * audit event, and the password's re-hash if any, are written in the same D1 batch.
 */
export async function startSession(deps: Deps, user: UserRow, { client, event, amr, rehash }: SignIn): Promise<TokenResponse> {
  const session = await newSession(deps, { userId: user.id, client, amr })
  // The login stamp is not a profile-invalidating write: a cached profile older than this
  // session's login is refused by GET /me anyway (nor is the hash, which no profile shows).
  const opened = await deps.sessions.open(session.row, auditRow(deps, event), rehash)
  return openedResponse(deps, session, { user: opened.user ?? user, devices: opened.devices, grants: opened.grants })
}

/**
 * How long an ended (revoked or expired) session stays readable in the user's session history
 * (`GET /me/sessions?include=ended`, seed 003) before it is dropped, whenever the user's sessions
 * are next listed or ended. Not shorter than the lockout's 30 days of known sign-in addresses
 * (sign-in/lockout.ts), which reads sessions opened in that window, ended ones included: a
 * session ends after it opens, so none of those is dropped.
 */
export const ENDED_SESSIONS_KEPT_MS = 30 * DAY_MS

/** Whether a session row is the user's, unrevoked and unexpired. */
export function isLiveSession(session: SessionRow | undefined, userId: string, now: number): session is SessionRow {
  return session !== undefined && session.userId === userId && session.revokedAt === null && session.expiresAt > now
}

/** Why sessions end, for the audit log. */
export interface RevokeContext {
  reason: string
  actorId?: string | undefined
  client?: ClientInfo | undefined
}

/** The sessions to end: every one of `userId`'s, but `keep` when given (the caller's own). */
export interface UserSessions {
  userId: string
  keep?: string | undefined
}

/**
 * Ends a user's sessions (all, or all but `keep`) in D1 and marks them in KV so their
 * access tokens fail at the next request (SPEC §6.3).
 */
export async function revokeUserSessions(deps: Deps, { userId, keep }: UserSessions, why?: RevokeContext): Promise<void> {
  const now = deps.now()
  const ended = await deps.sessions.revokeAllOfUser({ userId, now, keep, pruneBefore: now - ENDED_SESSIONS_KEPT_MS })
  await deps.authState.markUser(userId, { before: now, keep: keep ?? null })
  // A mark replaces the user's previous one. The kept session was live when the caller checked it,
  // but a revocation of it racing this call (a suspension) may have been marked just before this
  // mark replaced it: read it again, and if it is gone, spare nothing.
  if (keep && !isLiveSession(await deps.sessions.byId(keep), userId, deps.now())) {
    await deps.authState.markUser(userId, { before: deps.now(), keep: null })
  }
  if (why) {
    audit(deps, {
      type: 'sessions_revoked',
      actorId: why.actorId ?? userId,
      subjectId: userId,
      ...why.client,
      detail: { reason: why.reason, count: ended.length, kept: keep ?? null },
    })
  }
}

/** One session of a user: `sessionId` counts only if it is `userId`'s. */
export interface UserSession {
  userId: string
  sessionId: string
}

/** Ends one session of a user (logout, the user ending it elsewhere, refresh-token reuse). */
export async function revokeSession(deps: Deps, { userId, sessionId }: UserSession, why?: RevokeContext): Promise<boolean> {
  const now = deps.now()
  const revoked = await deps.sessions.revoke({ id: sessionId, userId, now, pruneBefore: now - ENDED_SESSIONS_KEPT_MS })
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
