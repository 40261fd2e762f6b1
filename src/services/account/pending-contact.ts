import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { isUniqueViolation } from '../../storage/repos/users'
import { noticeEmail } from '../../templates/email'
import { audit } from '../audit'
import type { E164 } from '../identifiers'
import { invalidCode } from '../otp'
import { endResetCredentials } from '../passwords'
import type { ClientInfo } from '../sessions'
import { claimEmail, emailIsTaken } from './email-claims'

/** SPEC §6.2: a pending email or phone becomes the account's own once confirmed; the old one is told. */

const taken = (which: 'email' | 'phone') =>
  which === 'email'
    ? new AppError('email_taken', 'This email is already registered')
    : new AppError('phone_taken', 'This phone number is already registered')

/** 409 when another account holds `phone` (a phone is proved when its account is created). */
export async function assertPhoneFree(deps: Deps, userId: string, phone: string): Promise<void> {
  const holder = await deps.users.byPhone(phone)
  if (holder && holder.id !== userId) throw taken('phone')
}

/** 409 when another account holds `email` against a claim (`emailIsTaken`). */
export async function assertEmailFree(deps: Deps, userId: string, email: string): Promise<void> {
  const holder = await deps.users.byEmail(email)
  if (holder && holder.id !== userId && emailIsTaken(holder)) throw taken('email')
}

/**
 * Makes a confirmed pending address the account's own, verified; the address it replaces, if
 * verified, gets a notice. 409 when another account proved it meanwhile (an unproven email is
 * taken from its holder, as at registration); 400 `invalid_code` when it is no longer pending.
 */
export async function promotePending(
  deps: Deps,
  user: UserRow,
  r: { which: 'email' | 'phone'; address: string; client: ClientInfo },
): Promise<UserRow> {
  const { which, address } = r
  if (which === 'email') {
    await assertEmailFree(deps, user.id, address)
    await claimEmail(deps, address, { id: user.id })
  } else {
    await assertPhoneFree(deps, user.id, address)
  }
  let updated: UserRow | undefined
  try {
    updated = await deps.users.promotePending(user.id, which, address, deps.now())
  } catch (err) {
    if (isUniqueViolation(err, which)) throw taken(which)
    throw err
  }
  if (!updated) throw invalidCode()
  // Reset codes and links sent to the replaced address die with it (bound to the account as it was).
  await Promise.all([deps.authState.dropProfile(user.id), endResetCredentials(deps, user)])
  audit(deps, { type: 'user_updated', actorId: user.id, subjectId: user.id, ...r.client, detail: { [which]: 'changed' } })
  if (which === 'phone') notifyOldPhone(deps, user)
  else notifyOldEmail(deps, user)
  return updated
}

/** A best-effort text to the verified phone a new one replaced, after the response. */
function notifyOldPhone(deps: Deps, old: UserRow): void {
  if (!old.phone || !old.phoneVerified) return
  const text = `Your ${deps.config.APP_NAME} phone number was changed; this number no longer signs in. Not you? Contact support.`
  deps.defer(() => deps.sms.send(old.phone as E164, text))
}

/** A best-effort email to the verified address a new one replaced, after the response. */
function notifyOldEmail(deps: Deps, old: UserRow): void {
  if (!old.email || !old.emailVerified) return
  const mail = noticeEmail({ app: deps.config.APP_NAME, to: old.email, name: old.name, what: 'email_changed' })
  deps.defer(() => deps.email.send(mail))
}
