import { hashPassword } from '../../crypto/password'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { sendNotice } from '../account'
import { audit } from '../audit'
import { assertPasswordAllowed, endResetCredentials, scryptParams } from '../passwords'
import { type ClientInfo, revokeUserSessions } from '../sessions'
import { type Actor, isStaff } from './roles'
import { managed, managersOnly } from './users-admin'

/** A new password for user `id`, chosen by someone who manages it. */
export interface SetPasswordRequest {
  id: string
  newPassword: string
  client: ClientInfo
}

/**
 * Sets the password of a staff account below the actor (SPEC §13): a super admin's admins, an
 * admin's clients and sub-clients, a client's own sub-clients. End users choose their own (reset
 * by code). The password passes the policy, is hashed with scrypt, and, set by someone else, ends
 * every session of the account, its open reset codes and links; the change is audited and the
 * account's verified email is told.
 */
export async function setUserPassword(deps: Deps, actor: Actor, { id, newPassword, client }: SetPasswordRequest): Promise<void> {
  managersOnly(actor)
  // 404 for anyone the actor does not manage (another client's sub-client, a peer, a superior).
  const target = await managed(deps, actor, id)
  if (!isStaff(target.role)) throw new AppError('forbidden', 'End users choose their own password (reset by code)')
  assertPasswordAllowed({ password: newPassword, field: 'new_password' }, deps.config, target)
  const passwordHash = await hashPassword(newPassword, scryptParams(deps.config))
  if (!(await deps.users.update(target.id, { passwordHash, updatedAt: deps.now() }))) {
    throw new AppError('not_found', 'No such user') // deleted in between
  }
  // A reset code or link sent before must not undo the password just set.
  await endResetCredentials(deps, target)
  await revokeUserSessions(deps, { userId: target.id }, { reason: 'password_set', actorId: actor.id, client })
  audit(deps, { type: 'password_set', actorId: actor.id, subjectId: target.id, ...client })
  sendNotice(deps, target, 'password_set')
}
