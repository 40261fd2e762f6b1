import { idTime } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import type { UserPatch } from '../../storage/repos/users'
import { MINUTE_MS } from '../../time'
import { audit } from '../audit'
import { deliverOtp, invalidCode, reserveOtp, verifyOtp } from '../otp'
import { type ClientInfo, isLiveSession } from '../sessions'
import { assertReenteredPassword } from '../sign-in'
import { sendEmailVerification } from './email-links'
import { assertEmailFree, assertPhoneFree, promotePending } from './pending-contact'
import { toUserView, type UserView } from './view'

/**
 * SPEC §6.2: a new email or phone is held as pending (it reserves nothing) until the code (or,
 * for an email, the link) sent to it confirms it; until then the account signs in and resets
 * with its current ones. Moving the account needs a live session and the password.
 */

/** How recent a passwordless account's sign-in must be to change its email or phone. */
export const RECENT_SIGN_IN_MS = 5 * MINUTE_MS

const invalidToken = () => new AppError('invalid_token', 'The access token is invalid, expired or revoked')

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

/** Sends a `phone_change` code to `phone` before answering (a failed send is a 503). */
export async function sendPhoneCode(deps: Deps, user: UserRow, phone: string, client: ClientInfo): Promise<void> {
  const reservation = await reserveOtp(deps, { purpose: 'phone_change', to: { channel: 'sms', address: phone }, client })
  await deliverOtp(deps, reservation, { userId: user.id })
}

/**
 * PATCH /me's email and phone: a new one is re-authenticated (`assertCanMoveAccount`), checked
 * free, sent a code (an email also a link; a failed send is a 503 before anything is stored) and
 * returned as the pending columns to store; the current one again drops the pending one.
 */
export async function requestContactChange(
  deps: Deps,
  user: UserRow,
  r: {
    sessionId: string
    email?: string | undefined
    phone?: string | undefined
    password: string | undefined
    client: ClientInfo
  },
): Promise<UserPatch> {
  const now = deps.now()
  const changes: UserPatch = {}
  if (r.email !== undefined && r.email === user.email) Object.assign(changes, { pendingEmail: null, pendingEmailAt: null })
  if (r.phone !== undefined && r.phone === user.phone) Object.assign(changes, { pendingPhone: null, pendingPhoneAt: null })
  const email = r.email !== undefined && r.email !== user.email ? r.email : undefined
  const phone = r.phone !== undefined && r.phone !== user.phone ? r.phone : undefined
  if (email === undefined && phone === undefined) return changes
  await assertCanMoveAccount(deps, user, r)
  if (phone !== undefined) await assertPhoneFree(deps, user.id, phone)
  if (email !== undefined) await assertEmailFree(deps, user.id, email)
  if (phone !== undefined) {
    await sendPhoneCode(deps, user, phone, r.client)
    Object.assign(changes, { pendingPhone: phone, pendingPhoneAt: now })
  }
  if (email !== undefined) {
    await sendEmailVerification(deps, user, email, r.client)
    Object.assign(changes, { pendingEmail: email, pendingEmailAt: now })
  }
  return changes
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
  await verifyOtp(deps, { purpose: 'phone_change', to: { channel: 'sms', address: phone }, code, ip: client.ip })
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
