import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { accountLocale } from '../../i18n/locale'
import type { UserRow } from '../../storage/db/schema'
import type { Held } from '../../storage/repos/registrations'
import { isUniqueViolation } from '../../storage/repos/users'
import { noticeEmail } from '../../templates/email'
import { phoneChangedSms } from '../../templates/sms'
import { audit } from '../audit'
import type { E164 } from '../identifiers'
import { invalidCode } from '../otp'
import { endResetCredentials } from '../passwords'
import type { ClientInfo } from '../sessions'
import { claimEmail, emailIsTaken } from './email-claims'
import { isLivePending } from './pending-account'

/** SPEC §6.2: a pending email or phone becomes the account's own once confirmed; the old one is told. */

const taken = (which: 'email' | 'phone') =>
  which === 'email'
    ? new AppError('email_taken', 'This email is already registered')
    : new AppError('phone_taken', 'This phone number is already registered')

/** The new phone and/or email of a change. */
export interface NewContact {
  phone?: string | undefined
  email?: string | undefined
}

/**
 * 409 when another account holds the new phone or email against a change (the same rule as
 * /register, SPEC §6.1): a phone held by an account that is not pending (a phone is proved when
 * its account is created), an email it has proved (`emailIsTaken`), or either held by a pending
 * registration whose `register` code still lives (`isLivePending`). A pending registration whose
 * code expired reserves nothing: the change takes the address over once confirmed.
 */
function assertContactFree(held: readonly Held[], userId: string, to: NewContact): void {
  const others = held.filter((h) => h.user.id !== userId)
  const phoneHolder = to.phone === undefined ? undefined : others.find((h) => h.user.phone === to.phone)
  if (phoneHolder && (phoneHolder.user.status !== 'pending' || isLivePending(phoneHolder))) throw taken('phone')
  const emailHolder = to.email === undefined ? undefined : others.find((h) => h.user.email === to.email)
  if (emailHolder && (emailIsTaken(emailHolder.user) || isLivePending(emailHolder))) throw taken('email')
}

/** `assertContactFree` against the holders as they are now (one D1 read): at PATCH, and before a code or link is used. */
export async function assertContactFreeNow(deps: Deps, userId: string, to: NewContact): Promise<void> {
  assertContactFree(await deps.registrations.holders(to.phone ?? null, to.email ?? null, deps.now()), userId, to)
}

/**
 * Makes a confirmed pending address the account's own, verified; the address it replaces, if
 * verified, gets a notice. 409 when another account holds it against the change
 * (`assertContactFree`; an unproven email or a stale pending registration is taken over); 400 `invalid_code` when it is no longer pending.
 */
export async function promotePending(
  deps: Deps,
  user: UserRow,
  r: { which: 'email' | 'phone'; address: string; client: ClientInfo },
): Promise<UserRow> {
  const { which, address } = r
  await assertContactFreeNow(deps, user.id, { [which]: address })
  if (which === 'email') await claimEmail(deps, address, { id: user.id })
  // A pending registration of the phone whose code expired is released, like an unproven email.
  else await deps.users.releaseStalePendingPhone(address, user.id, deps.now())
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
  const text = phoneChangedSms({ app: deps.config.APP_NAME, locale: accountLocale(deps.config, old.locale) })
  deps.defer(() => deps.sms.send(old.phone as E164, text))
}

/** A best-effort email to the verified address a new one replaced, after the response. */
function notifyOldEmail(deps: Deps, old: UserRow): void {
  if (!old.email || !old.emailVerified) return
  const locale = accountLocale(deps.config, old.locale)
  const mail = noticeEmail({ app: deps.config.APP_NAME, to: old.email, locale, name: old.name, what: 'email_changed' })
  deps.defer(() => deps.email.send(mail))
}
