import { idTime } from '../crypto/random'
import type { Deps } from '../deps'
import { AppError } from '../errors'
import type { UserRow } from '../storage/db/schema'
import { isUniqueViolation } from '../storage/repos/users'
import { noticeEmail } from '../templates/email'
import { audit } from './audit'
import { claimEmail, emailIsTaken } from './email-claims'
import type { E164 } from './identifiers'
import { deliverOtp, reserveOtp, verifyOtp } from './otp'
import { assertReenteredPassword } from './reauth'
import { endResetCredentials } from './reset-credentials'
import { type ClientInfo, isLiveSession } from './sessions'
import { toUserView, type UserView } from './user-view'

/**
 * SPEC §6.2: a new email or phone is held as pending (it reserves nothing) until the code (or,
 * for an email, the link) sent to it confirms it; until then the account signs in and resets
 * with its current ones. Moving the account needs a live session and the password.
 */

/** How recent a passwordless account's sign-in must be to change its email or phone. */
export const RECENT_SIGN_IN_MS = 5 * 60_000

const invalidToken = () => new AppError('invalid_token', 'The access token is invalid, expired or revoked')
const invalidCode = () => new AppError('invalid_code', 'The code is invalid or has expired')
const taken = (which: 'email' | 'phone') =>
  which === 'email'
    ? new AppError('email_taken', 'This email is already registered')
    : new AppError('phone_taken', 'This phone number is already registered')

/**
 * Re-authenticates a change of email or phone: the session row must be live in D1 (a revoked
 * session cannot move the account), and the password re-entered; an account without one must
 * have signed in within RECENT_SIGN_IN_MS. 403 `reauthentication_required` otherwise.
 */
export async function assertCanMoveAccount(
  deps: Deps,
  user: UserRow,
  r: { sessionId: string; password: string | undefined; client: ClientInfo },
): Promise<void> {
  if (!isLiveSession(await deps.sessions.byId(r.sessionId), user.id, deps.now())) throw invalidToken()
  if (user.passwordHash) {
    if (r.password === undefined) {
      throw new AppError('reauthentication_required', 'Send current_password to change the email or phone')
    }
    await assertReenteredPassword(deps, user, r.password, r.client)
    return
  }
  // The session id carries its creation time: the moment its holder signed in.
  if (deps.now() - idTime(r.sessionId) > RECENT_SIGN_IN_MS) {
    throw new AppError('reauthentication_required', 'Sign in again, then change the email or phone within 5 minutes')
  }
}

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

/** Sends a `phone_change` code to `phone` before answering (a failed send is a 503). */
export async function sendPhoneCode(deps: Deps, user: UserRow, phone: string, client: ClientInfo): Promise<void> {
  const reservation = await reserveOtp(deps, 'phone_change', { channel: 'sms', address: phone }, client)
  await deliverOtp(deps, reservation, { userId: user.id })
}

/** The phone a code would confirm: the pending one, else the account's own if unverified. */
const phoneToConfirm = (u: UserRow) => u.pendingPhone ?? (u.phone && !u.phoneVerified ? u.phone : null)

/** `POST /me/phone/verify-request`: a code to the pending (or unverified) phone. */
export async function requestPhoneVerification(deps: Deps, userId: string, client: ClientInfo): Promise<void> {
  const user = await deps.users.byId(userId)
  if (!user) throw invalidToken()
  const phone = phoneToConfirm(user)
  if (!phone) {
    throw new AppError('validation_error', 'Request validation failed', {
      fields: { phone: 'No new or unverified phone to confirm (PATCH /me first)' },
    })
  }
  await sendPhoneCode(deps, user, phone, client)
}

/** `POST /me/phone/verify`: the code confirms the pending phone (it replaces the old one) or the unverified one. */
export async function confirmPhone(deps: Deps, userId: string, code: string, client: ClientInfo): Promise<UserView> {
  const user = await deps.users.byId(userId)
  if (!user) throw invalidToken()
  const phone = phoneToConfirm(user)
  if (!phone) throw invalidCode()
  await verifyOtp(deps, 'phone_change', { channel: 'sms', address: phone }, code)
  let updated: UserRow | undefined
  if (phone === user.pendingPhone) {
    updated = await promotePending(deps, user, { which: 'phone', address: phone, client })
  } else {
    updated = await deps.users.update(user.id, { phoneVerified: true, updatedAt: deps.now() })
    audit(deps, { type: 'user_updated', actorId: user.id, subjectId: user.id, ...client, detail: { phone: 'verified' } })
  }
  if (!updated) throw invalidToken()
  return toUserView(updated, await deps.devices.of(user.id))
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
  const text = `Your ${deps.config.APP_NAME} account's phone number was changed; this number no longer signs in or receives resets. If this was not you, contact support.`
  deps.defer(() => deps.sms.send(old.phone as E164, text))
}

/** A best-effort email to the verified address a new one replaced, after the response. */
function notifyOldEmail(deps: Deps, old: UserRow): void {
  if (!old.email || !old.emailVerified) return
  const mail = noticeEmail({ app: deps.config.APP_NAME, to: old.email, name: old.name, what: 'email_changed' })
  deps.defer(() => deps.email.send(mail))
}
