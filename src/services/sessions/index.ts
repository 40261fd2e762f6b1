export { endOtherSessions, endSession, listSessions, logout } from './list'
export type { ClientInfo, TokenResponse } from './open'
export { assertCanSignIn, isLiveSession, newSession, openedResponse, revokeUserSessions, startSession } from './open'
export { refreshSession } from './refresh'
