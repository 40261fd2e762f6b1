import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { accountLocale } from '../../i18n/locale'
import { MFA_METHOD, type UserRow } from '../../storage/db/schema'
import { mfaResetSms } from '../../templates/sms'
import { sendNotice } from '../account'
import { audit } from '../audit'
import type { E164 } from '../identifiers'
import { type ClientInfo, revokeUserSessions } from '../sessions'
import type { Actor } from './roles'
import { managed, managersOnly } from './users-admin'

/** An administrator's MFA reset of user `id`; `passkeys`: its passkeys go too. */
export interface MfaResetRequest {
  id: string
  passkeys: boolean
  client: ClientInfo
}

const nothingToReset = (passkeys: boolean) =>
  new AppError('not_found', passkeys ? 'This user has no TOTP and no passkey to reset' : 'This user has no TOTP to reset')

/**
 * `DELETE /users/{id}/mfa` (SPEC §14): for someone who lost their authenticator and their recovery
 * codes, a manager (the set-password hierarchy: super admin → anyone below, admin → clients,
 * sub-clients and end users, client → its own sub-clients) turns TOTP off and drops its recovery
 * codes, and with `passkeys` deletes every passkey. Every session of the user ends, the reset is
 * audited (what went, never a secret) and the user is told (verified email, else verified phone).
 * 404 when there is nothing to reset, changing nothing.
 */
export async function resetUserMfa(deps: Deps, actor: Actor, { id, passkeys, client }: MfaResetRequest): Promise<void> {
  managersOnly(actor)
  // 404 for anyone the actor does not manage (another client's sub-client, a peer, a superior, itself).
  const target = await managed(deps, actor, id)
  const own = deps.inPool(target.pool)
  const held = target.mfaMethods & (MFA_METHOD.totp | (passkeys ? MFA_METHOD.passkey : 0))
  if (!held) throw nothingToReset(passkeys)
  // Sessions end first: a thief holding one cannot enrol a factor of their own while the reset runs.
  await revokeUserSessions(own, { userId: id }, { reason: 'mfa_reset', actorId: actor.id, client })
  const removed = await own.secondFactors.reset({ userId: id, passkeys })
  // Turned off (or the user deleted) between the read and the reset: nothing was.
  if (!removed.totp && removed.passkeys === 0) throw nothingToReset(passkeys)
  audit(own, {
    type: 'mfa_reset',
    actorId: actor.id,
    subjectId: id,
    ...client,
    detail: { totp: removed.totp, recovery_codes: removed.recoveryCodes, passkeys: removed.passkeys },
  })
  tell(own, target)
}

/** The verified email, else a text to the verified phone: a reset must reach its owner (best effort, after the response). */
function tell(deps: Deps, user: UserRow): void {
  if (user.email && user.emailVerified) {
    sendNotice(deps, user, 'mfa_reset')
  } else if (user.phone && user.phoneVerified) {
    const text = mfaResetSms({ app: deps.config.APP_NAME, locale: accountLocale(deps.config, user.locale) })
    deps.defer(() => deps.sms.send(user.phone as E164, text))
  }
}
