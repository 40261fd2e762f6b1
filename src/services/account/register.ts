import { hashPassword } from '../../crypto/password'
import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { isUniqueViolation } from '../../storage/repos/users'
import { audit } from '../audit'
import { normalizeEmail, parsePhone } from '../identifiers'
import { type Channel, type Destination, deliverOtp, type Reservation, releaseOtp, reserveWith } from '../otp'
import { assertPasswordAllowed, checkPassword, scryptParams } from '../passwords'
import type { ClientInfo } from '../sessions'
import { emailIsTaken, forgetReleased, type Held, isLivePending } from './email-claims'

export interface RegisterInput {
  name?: string | undefined
  surname?: string | undefined
  phone?: string | undefined
  email?: string | undefined
  password: string
  role?: string | undefined
}

export interface RegisterResult {
  message: string
  detail: string
  channel: Channel
  expires_in: number
}

const phoneTaken = () => new AppError('phone_taken', 'This phone number is already registered')
const emailTaken = () => new AppError('email_taken', 'This email is already registered')

/**
 * Creates a pending account (or replaces a pending one whose codes have all expired) and sends
 * a `register` code to the phone, else the email (SPEC §6.1). The account becomes active at
 * `/verify`. One D1 round trip comes before any hashing: the per-IP request limit, the send
 * limits, the reservation and the holders of the phone and email; a refused registration costs
 * no hash (except a wrong password for a pending account whose code lives: it is checked, 409).
 */
export async function register(deps: Deps, input: RegisterInput, client: ClientInfo): Promise<RegisterResult> {
  const { config } = deps
  const phone = input.phone !== undefined ? parsePhone(input.phone, config) : null
  const email = input.email !== undefined ? normalizeEmail(input.email) : null
  const role = input.role ?? (config.END_USER_ROLES[0] as string)
  if (!config.END_USER_ROLES.includes(role)) {
    throw new AppError('validation_error', 'Request validation failed', {
      fields: { role: `Must be one of: ${config.END_USER_ROLES.join(', ')}` },
    })
  }
  assertPasswordAllowed(input.password, config, { phone, email })

  const channel: Channel = phone ? 'sms' : 'email'
  const to: Destination = { channel, address: (phone ?? email) as string }
  const taken = () => (phone ? phoneTaken() : emailTaken())
  // The older code stays open until this registration is accepted: a refused one must not kill it.
  const { reservation, read } = await reserveWith(deps, {
    purpose: 'register',
    to,
    client,
    requestGroup: 'register',
    read: deps.users.registrationStatement(phone, email, deps.now()),
    closeOlder: false,
    // Refused by a send limit: an identifier a verified account holds still answers its 409 (no hash either way).
    whenRefused: (read) => {
      const { primary, emailHolder } = holdersOf(read ?? [], phone, email)
      if (primary && primary.user.status !== 'pending') throw taken()
      if (emailHolder && emailIsTaken(emailHolder.user)) throw emailTaken()
    },
  })
  const { primary, emailHolder } = holdersOf(read ?? [], phone, email)
  const refuse = async (err: AppError) => {
    await releaseOtp(deps, reservation)
    return err
  }
  if (primary && primary.user.status !== 'pending') throw await refuse(taken())
  // A pending account whose code lives is not taken over (SPEC §5/§6.1), nor a proved email.
  if (emailHolder && (emailIsTaken(emailHolder.user) || isLivePending(emailHolder))) throw await refuse(emailTaken())

  let user: UserRow
  if (primary && isLivePending(primary)) {
    // SPEC §6.1: a registration over a pending account whose code lives changes nothing of it;
    // its own password gets a new code (limits applied above), another one 409.
    if (!(await checkPassword(deps, primary.user, input.password))) throw await refuse(taken())
    await deps.otpChallenges.settle(settled(deps, reservation))
    user = primary.user
  } else {
    user = await savePending(deps, { input, phone, email, role, reservation, claimEmail: emailHolder ? email : null })
  }

  // Mail to an address nobody has verified carries only the service's own words (SPEC §6.6): no name.
  await deliverOtp(deps, reservation, { userId: user.id })
  audit(deps, { type: 'user_registered', actorId: user.id, subjectId: user.id, ...client, detail: { channel, role } })
  return {
    message: 'Registration successful',
    detail: `A verification code has been sent to ${reservation.to.address}`,
    channel,
    expires_in: config.OTP_EXPIRE_MINUTES * 60,
  }
}

/**
 * The account a registration would replace (holding its phone, else its pending holder of the
 * email, or an email holder that reserves it) and another account holding its email.
 */
function holdersOf(held: Held[], phone: string | null, email: string | null) {
  const byPhone = phone ? held.find((h) => h.user.phone === phone) : undefined
  const byEmail = email ? held.find((h) => h.user.email === email) : undefined
  const primary = phone
    ? byPhone
    : byEmail && (byEmail.user.status === 'pending' || emailIsTaken(byEmail.user))
      ? byEmail
      : undefined
  return { primary, emailHolder: byEmail && byEmail !== primary ? byEmail : undefined }
}

const settled = (deps: Deps, r: Reservation) => ({
  id: r.id,
  destination: `${r.to.channel}:${r.to.address}`,
  purpose: r.purpose,
  now: deps.now(),
})

interface NewPending {
  input: RegisterInput
  phone: string | null
  email: string | null
  role: string
  reservation: Reservation
  claimEmail: string | null
}

/** Hashes the password and writes the pending account with its code's binding: one D1 batch. */
async function savePending(deps: Deps, p: NewPending): Promise<UserRow> {
  const passwordHash = await hashPassword(p.input.password, scryptParams(deps.config))
  const now = deps.now()
  const row = {
    id: newId(now),
    phone: p.phone,
    email: p.email,
    username: null,
    passwordHash,
    name: p.input.name ?? null,
    surname: p.input.surname ?? null,
    role: p.role,
    status: 'pending' as const,
    phoneVerified: false,
    emailVerified: false,
    createdAt: now,
    updatedAt: now,
  }
  let saved: Awaited<ReturnType<Deps['users']['savePending']>>
  try {
    saved = await deps.users.savePending({
      row,
      by: p.phone ? 'phone' : 'email',
      claimEmail: p.claimEmail,
      now,
      challengeId: p.reservation.id,
      // A registration that wrote nothing (another holder won the race) closes no older code.
      after: deps.otpChallenges.bindStatements({ ...settled(deps, p.reservation), stamp: now }),
    })
  } catch (err) {
    await releaseOtp(deps, p.reservation)
    if (isUniqueViolation(err, 'email')) throw emailTaken()
    if (isUniqueViolation(err, 'phone')) throw phoneTaken()
    throw err
  }
  if (!saved.user) {
    await releaseOtp(deps, p.reservation)
    throw p.phone ? phoneTaken() : emailTaken()
  }
  await forgetReleased(deps, saved.released)
  return saved.user
}
