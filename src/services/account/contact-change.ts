import type { Deps } from '../../deps'
import { AppError, invalidAccessToken } from '../../errors'
import { accountLocale } from '../../i18n/locale'
import type { UserRow } from '../../storage/db/schema'
import type { UserPatch } from '../../storage/repos/users'
import { audit } from '../audit'
import { groupOf } from '../limits'
import { acceptReservation, deliverOtp, invalidCode, releaseOtp, reserveOtp, reserveOtpForRequest, verifyOtp } from '../otp'
import { type ClientInfo, isLiveSession, RECENT_SIGN_IN_MS } from '../sessions'
import { assertReenteredPassword } from '../sign-in'
import { deliverEmailVerification } from './email-links'
import { assertContactFreeNow, type NewContact, promotePending } from './pending-contact'
import { toUserView, type UserView } from './view'

/**
 * SPEC §6.2: a new email or phone is held as pending (it reserves nothing) until the code (or,
 * for an email, the link) sent to it confirms it; until then the account signs in and resets
 * with its current ones. Moving the account needs a live session and the password.
 */

const invalidToken = invalidAccessToken

/** 401 unless the session row is live in D1: a revoked session cannot move the account. Its sign-in time (ms). */
async function signInTimeOf(deps: Deps, user: UserRow, sessionId: string): Promise<number> {
  const session = await deps.sessions.byId(sessionId)
  if (!isLiveSession(session, user.id, deps.now())) throw invalidToken()
  return session.authTime ?? session.createdAt
}

/**
 * Re-authenticates a change of email or phone: the password re-entered (counted like a login);
 * an account without one must have signed in within RECENT_SIGN_IN_MS. 403
 * `reauthentication_required` otherwise.
 */
async function assertReauthenticated(
  deps: Deps,
  user: UserRow,
  r: { signedInAt: number; password: string | undefined; client: ClientInfo },
): Promise<void> {
  if (user.passwordHash) {
    if (r.password === undefined) {
      throw new AppError('reauthentication_required', 'Send current_password to change the email or phone')
    }
    await assertReenteredPassword(deps, user, { password: r.password, client: r.client })
    return
  }
  // The session's auth_time: when its holder signed in (an OAuth client's session keeps the browser's).
  if (deps.now() - r.signedInAt > RECENT_SIGN_IN_MS) {
    throw new AppError('reauthentication_required', 'Sign in again, then change the email or phone within 5 minutes')
  }
}

/** Sends a `phone_change` code to `phone` before answering (a failed send is a 503). */
export async function sendPhoneCode(
  deps: Deps,
  user: UserRow,
  { phone, client }: { phone: string; client: ClientInfo },
): Promise<void> {
  const reservation = await reserveOtp(deps, { purpose: 'phone_change', to: { channel: 'sms', address: phone }, client })
  await deliverOtp(deps, reservation, { userId: user.id, locale: accountLocale(deps.config, user.locale) })
}

/**
 * The sends of a change, reserved before anything costly: the per-IP `account` request limit and
 * the send limits (cooldown, caps) in one D1 batch, then the email's reservation when both
 * change. Throws 429 (nothing left reserved).
 */
async function reserveChange(deps: Deps, to: NewContact, client: ClientInfo) {
  const { phone, email } = to
  const first = phone !== undefined ? PHONE(phone) : EMAIL(email as string)
  const { reservation } = await reserveOtpForRequest(deps, {
    ...first,
    client,
    requestGroup: groupOf('PATCH /me'),
    keepOlder: true,
  })
  const reservations = {
    phone: phone !== undefined ? reservation : undefined,
    email: phone === undefined ? reservation : undefined,
  }
  if (phone !== undefined && email !== undefined) {
    try {
      reservations.email = await reserveOtp(deps, { ...EMAIL(email), client, keepOlder: true })
    } catch (err) {
      await releaseOtp(deps, reservation)
      throw err
    }
  }
  return reservations
}

const PHONE = (address: string) => ({ purpose: 'phone_change' as const, to: { channel: 'sms' as const, address } })
const EMAIL = (address: string) => ({ purpose: 'email_change' as const, to: { channel: 'email' as const, address } })

/**
 * PATCH /me's email and phone (SPEC §6.2): a new one needs a live session, then its sends are
 * reserved (per-IP limit, send limits: a refused change costs no hash), then the password is
 * re-entered and the address checked free (`assertContactFree`; 409 only to the password's
 * holder), then it gets a code (an email also a link; a failed send is a 503 before anything is
 * stored), and it is returned as the pending columns to store. The current one again drops the
 * pending one.
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
  const signedInAt = await signInTimeOf(deps, user, r.sessionId)
  const sends = await reserveChange(deps, { phone, email }, r.client)
  try {
    await assertReauthenticated(deps, user, { signedInAt, password: r.password, client: r.client })
    await assertContactFreeNow(deps, user.id, { phone, email })
  } catch (err) {
    // Refused: the reservations must not count against the owner's cooldown or caps.
    await Promise.all([sends.phone, sends.email].map((s) => s && releaseOtp(deps, s)))
    throw err
  }
  // Accepted: only now does a new code replace the address's older one (a refused request,
  // without the password say, must not kill the code another account is about to confirm).
  await Promise.all([sends.phone, sends.email].map((s) => s && acceptReservation(deps, s)))
  if (sends.phone) {
    try {
      await deliverOtp(deps, sends.phone, { userId: user.id, locale: accountLocale(deps.config, user.locale) })
    } catch (err) {
      if (sends.email) await releaseOtp(deps, sends.email)
      throw err
    }
    Object.assign(changes, { pendingPhone: phone, pendingPhoneAt: now })
  }
  if (sends.email) {
    await deliverEmailVerification(deps, user, sends.email)
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
  await sendPhoneCode(deps, user, { phone, client })
}

/** `POST /me/phone/verify`: the code confirms the pending phone (it replaces the old one) or the unverified one. */
export async function confirmPhone(
  deps: Deps,
  userId: string,
  { code, client }: { code: string; client: ClientInfo },
): Promise<UserView> {
  const user = await deps.users.byId(userId)
  if (!user) throw invalidToken()
  const phone = phoneToConfirm(user)
  if (!phone) throw invalidCode()
  // A refused confirmation must not burn the code: the holders are checked before it is used.
  if (phone === user.pendingPhone) await assertContactFreeNow(deps, user.id, { phone })
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
