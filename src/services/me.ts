import type { Deps } from '../deps'
import { AppError } from '../errors'
import { toUserView, type UserView } from './user-view'

/** The signed-in user's profile. A user deleted since the token was issued has no valid token. */
export async function getMe(deps: Deps, userId: string): Promise<UserView> {
  const [user, devices] = await Promise.all([deps.users.byId(userId), deps.users.devicesOf(userId)])
  if (!user) throw new AppError('invalid_token', 'The access token is invalid, expired or revoked')
  return toUserView(user, devices)
}
