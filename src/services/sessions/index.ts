export { endOtherSessions, endSession, listSessions, logout } from './list'
export type { ClientInfo, TokenResponse, UserSession } from './open'
export { assertCanSignIn, isLiveSession, newSession, openedResponse, revokeUserSessions, startSession } from './open'
export { refreshSession } from './refresh'
