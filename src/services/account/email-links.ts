import type { Locale } from '../../config'
import { sha256Hex } from '../../crypto/hash'
import { hashPassword } from '../../crypto/password'
import { randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, invalidAccessToken } from '../../errors'
import { accountLocale } from '../../i18n/locale'
import type { UserRow } from '../../storage/db/schema'
import type { LinkPurpose } from '../../storage/repos/link-tokens'
import { type NoticeKind, noticeEmail } from '../../templates/email'
import { HOUR_MS, MINUTE_MS } from '../../time'
import { audit } from '../audit'
import { deliverOtp, invalidCode, type Reservation, releaseOtp, reserveOtp, verifyOtp } from '../otp'
import { assertPasswordAllowed, endResetCredentials, scryptParams } from '../passwords'
import { type ClientInfo, revokeUserSessions } from '../sessions'
import { assertContactFreeNow, promotePending } from './pending-contact'
import { toUserView, type UserView } from './view'
import { welcomeIfNew } from './welcome'

const LINKS: Record<LinkPurpose, { path: string; ttlMs: number }> = {
  email_verify: { path: '/auth/email/verify', ttlMs: 24 * HOUR_MS },
  password_reset: { path: '/auth/email/reset', ttlMs: HOUR_MS },
}

export const invalidLink = () => new AppError('invalid_code', 'This link is invalid, expired or already used')

/** Whom a link is for: the account and the email it is sent to (`retireOlder`: see `createLink`). */
export interface LinkTarget {
  userId: string
  email: string
  retireOlder?: boolean
  /** The account's language: the link's page speaks it (`ui_locales`, SPEC §15). */
  locale?: Locale | undefined
}

/**
 * Creates a single-use link for `email`; only its hash is stored. The user's older links of the
 * same purpose stop working, unless `retireOlder` is false (the caller retires them once sent).
 */
export async function createLink(
  deps: Deps,
  purpose: LinkPurpose,
  { userId, email, locale, ...opts }: LinkTarget,
): Promise<{ url: string; hash: string; minutes: number }> {
  const token = randomToken(32)
  const hash = await sha256Hex(token)
  const now = deps.now()
  const { path, ttlMs } = LINKS[purpose]
  await deps.linkTokens.issue({ hash, purpose, userId, email, createdAt: now, expiresAt: now + ttlMs }, opts)
  // The pool's own page (SPEC §12: a link works in its pool only).
  const base = `${deps.config.PUBLIC_URL.replace(/\/$/, '')}${deps.pool.basePath}`
  const lang = locale ? `&ui_locales=${locale}` : ''
  return { url: `${base}${path}?token=${token}${lang}`, hash, minutes: ttlMs / MINUTE_MS }
}

/**
 * Sends `email` a verification code and link before answering, so a failed send is reported
 * (503) and leaves neither a valid code nor a valid link.
 */
export async function sendEmailVerification(
  deps: Deps,
  user: UserRow,
  { email, client }: { email: string; client: ClientInfo },
): Promise<void> {
  const reservation = await reserveOtp(deps, { purpose: 'email_change', to: { channel: 'email', address: email }, client })
  await deliverEmailVerification(deps, user, reservation)
}

/** Sends a reserved `email_change` code with a verification link (see `sendEmailVerification`). */
export async function deliverEmailVerification(deps: Deps, user: UserRow, reservation: Reservation): Promise<void> {
  // Older links are retired only once this one is sent: a failed change leaves the pending one working.
  const locale = accountLocale(deps.config, user.locale)
  const to = { userId: user.id, email: reservation.to.address, retireOlder: false, locale }
  const link = await createLink(deps, 'email_verify', to).catch(async (err: unknown) => {
    await releaseOtp(deps, reservation) // nothing was sent: no cooldown is charged
    throw err
  })
  try {
    // No name: the address is not proved yet, so the mail carries only our own words (SPEC §6.6).
    await deliverOtp(deps, reservation, { userId: user.id, locale, link: link.url, linkMinutes: link.minutes })
  } catch (err) {
    await deps.linkTokens.discard(link.hash)
    throw err
  }
  await deps.linkTokens.retireOthers(user.id, 'email_verify', link.hash, deps.now())
}

/** The email a code or link would confirm: the pending one (PATCH /me), else the account's own if unverified. */
const emailToConfirm = (u: UserRow) => u.pendingEmail ?? (u.email && !u.emailVerified ? u.email : null)

/** `POST /auth/email/verify-request`: a new code and link to the user's pending or unverified email. */
export async function requestEmailVerification(deps: Deps, userId: string, client: ClientInfo): Promise<void> {
  const user = await deps.users.byId(userId)
  if (!user) throw invalidAccessToken()
  const email = emailToConfirm(user)
  if (!email) {
    const why = user.email ? 'Already verified' : 'Add an email first (PATCH /me)'
    throw new AppError('validation_error', 'Request validation failed', { fields: { email: why } })
  }
  await sendEmailVerification(deps, user, { email, client })
}

/**
 * Confirms `email` for the account: its pending email replaces the current one (`promotePending`),
 * or its own unverified email is marked verified (a pending email-only account becomes active).
 * Anything else (the email changed since the code or link was sent) is refused.
 */
async function markEmailVerified(
  deps: Deps,
  userId: string,
  { email, client }: { email: string; client: ClientInfo },
): Promise<UserRow> {
  const user = await deps.users.byId(userId)
  if (user && user.pendingEmail === email) {
    const promoted = await promotePending(deps, user, { which: 'email', address: email, client })
    welcomeIfNew(deps, user, promoted)
    return promoted
  }
  if (!user || user.email !== email) throw invalidLink()
  const activate = user.status === 'pending' && !user.phone
  const updated = await deps.users.update(user.id, {
    emailVerified: true,
    ...(activate ? { status: 'active' } : {}),
    updatedAt: deps.now(),
  })
  if (updated) welcomeIfNew(deps, user, updated)
  return updated ?? user
}

/** 409 before a link is used when the pending email it confirms is held against the change (`assertContactFree`). */
async function assertPendingEmailFree(deps: Deps, userId: string, email: string): Promise<void> {
  const user = await deps.users.byId(userId)
  if (user?.pendingEmail === email) await assertContactFreeNow(deps, user.id, { email })
}

/** `POST /auth/email/verify` (token in the form): uses the link. */
export async function confirmEmailLink(deps: Deps, token: string, client: ClientInfo): Promise<UserView> {
  const hash = await sha256Hex(token)
  // A refused confirmation must not burn the link: the holders are checked before it is used.
  const live = await deps.linkTokens.peek(hash, 'email_verify', deps.now())
  if (live) await assertPendingEmailFree(deps, live.userId, live.email)
  const row = await deps.linkTokens.consume(hash, 'email_verify', deps.now())
  if (!row) throw invalidLink()
  const user = await markEmailVerified(deps, row.userId, { email: row.email, client })
  audit(deps, { type: 'email_verified', actorId: user.id, subjectId: user.id, ...client, detail: { method: 'link' } })
  return toUserView(user, await deps.devices.of(user.id))
}

/** `POST /auth/email/verify` (signed in): the code from the same email. */
export async function confirmEmailCode(
  deps: Deps,
  userId: string,
  { code, client }: { code: string; client: ClientInfo },
): Promise<UserView> {
  const user = await deps.users.byId(userId)
  const email = user && emailToConfirm(user)
  if (!user || !email) throw invalidCode()
  if (email === user.pendingEmail) await assertContactFreeNow(deps, user.id, { email })
  await verifyOtp(deps, { purpose: 'email_change', to: { channel: 'email', address: email }, code, ip: client.ip })
  const updated = await markEmailVerified(deps, user.id, { email, client })
  audit(deps, { type: 'email_verified', actorId: user.id, subjectId: user.id, ...client, detail: { method: 'code' } })
  return toUserView(updated, await deps.devices.of(user.id))
}

/** The unused, unexpired reset link with this hash, if its account still has the email it was sent to, verified. */
async function liveResetLink(deps: Deps, hash: string): Promise<UserRow | undefined> {
  const row = await deps.linkTokens.peek(hash, 'password_reset', deps.now())
  const owner = row ? await deps.users.byId(row.userId) : undefined
  return owner?.emailVerified && owner.email === row?.email ? owner : undefined
}

/** Whether a reset link is still usable (to show its form); does not use it. */
export async function resetLinkIsLive(deps: Deps, token: string): Promise<boolean> {
  return (await liveResetLink(deps, await sha256Hex(token))) !== undefined
}

/** A reset link used: its token, the new password, and the client using it. */
export interface LinkReset {
  token: string
  newPassword: string
  client: ClientInfo
}

/** `POST /auth/email/reset`: sets the password with a reset link; every session ends. */
export async function resetWithLink(deps: Deps, { token, newPassword, client }: LinkReset): Promise<void> {
  const hash = await sha256Hex(token)
  // A dead link is reported before the password: asking for another password would lead nowhere.
  const owner = await liveResetLink(deps, hash)
  if (!owner) throw invalidLink()
  // The policy is checked before the link is used, so a refused password does not burn it.
  assertPasswordAllowed({ password: newPassword, field: 'new_password' }, deps.config, owner)
  const row = await deps.linkTokens.consume(hash, 'password_reset', deps.now())
  if (!row) throw invalidLink()
  const user = await deps.users.byId(row.userId)
  if (!user?.emailVerified || user.email !== row.email) throw invalidLink()
  const passwordHash = await hashPassword(newPassword, scryptParams(deps.config))
  await deps.users.update(user.id, { passwordHash, updatedAt: deps.now() })
  await endResetCredentials(deps, user)
  await revokeUserSessions(deps, { userId: user.id }, { reason: 'password_reset', client })
  audit(deps, { type: 'password_reset', actorId: user.id, subjectId: user.id, ...client, detail: { method: 'link' } })
  sendNotice(deps, user, 'password_reset')
}

/** A best-effort notice to the user's verified email, after the response. */
export function sendNotice(deps: Deps, user: UserRow, what: NoticeKind): void {
  if (!user.email || !user.emailVerified) return
  const locale = accountLocale(deps.config, user.locale)
  const mail = noticeEmail({ app: deps.config.APP_NAME, to: user.email, locale, name: user.name, what })
  deps.defer(() => deps.email.send(mail))
}

/** Whether an email verification link is still usable (to show its confirm page); does not use it. */
export async function verifyLinkIsLive(deps: Deps, token: string): Promise<boolean> {
  return (await deps.linkTokens.peek(await sha256Hex(token), 'email_verify', deps.now())) !== undefined
}
