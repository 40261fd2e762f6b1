export { FIRST_FACTOR_AMR, SECOND_FACTOR_AMR, twoFactorAmr } from './amr'
export type { SessionQuery, SessionView } from './list'
export { endOtherSessions, endSession, getSession, listSessions, logout } from './list'
export type { ClientInfo, OAuthGrant, SessionDraft, SessionHolder, TokenResponse, UserSession } from './open'
export {
  assertCanSignIn,
  isLiveSession,
  newSession,
  openedResponse,
  revokeSession,
  revokeUserSessions,
  startSession,
  tokenResponse,
} from './open'
export { assertRecentSignIn, RECENT_SIGN_IN_MS } from './recent'
export type { RefreshGrant } from './refresh'
export { refreshSession } from './refresh'
