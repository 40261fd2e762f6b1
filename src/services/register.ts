import { hashPassword } from '../crypto/password'
import { newId } from '../crypto/random'
import type { Deps } from '../deps'
import { AppError } from '../errors'
import type { UserRow } from '../storage/db/schema'
import { isUniqueViolation } from '../storage/repos/users'
import { audit } from './audit'
import { claimEmail, emailIsTaken } from './email-claims'
import { normalizeEmail, parsePhone } from './identifiers'
import { type Channel, deliverOtp, releaseOtp, reserveOtp } from './otp'
import { assertPasswordAllowed } from './password-policy'
import { scryptParams } from './passwords'
import type { ClientInfo } from './sessions'

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
 * Creates a pending account (or refreshes a still-pending one) and sends a `register` code to
 * the phone, else the email (SPEC §6.1). The account becomes active at `/verify`.
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

  const [byPhone, byEmail] = await Promise.all([
    phone ? deps.users.byPhone(phone) : undefined,
    email ? deps.users.byEmail(email) : undefined,
  ])
  if (byPhone && byPhone.status !== 'pending') throw phoneTaken()
  if (emailIsTaken(byEmail)) throw emailTaken()

  const passwordHash = await hashPassword(input.password, scryptParams(config))
  const channel: Channel = phone ? 'sms' : 'email'
  const reservation = await reserveOtp(deps, 'register', { channel, address: (phone ?? email) as string }, client)

  let user: UserRow | undefined
  try {
    const now = deps.now()
    const row = {
      id: newId(now),
      phone,
      email,
      username: null,
      passwordHash,
      name: input.name ?? null,
      surname: input.surname ?? null,
      role,
      status: 'pending' as const,
      phoneVerified: false,
      emailVerified: false,
      createdAt: now,
      updatedAt: now,
    }
    if (email) await claimEmail(deps, email, { phone })
    user = await deps.users.upsertPending(row, phone ? 'phone' : 'email')
  } catch (err) {
    await releaseOtp(deps, reservation)
    if (isUniqueViolation(err, 'email')) throw emailTaken()
    if (isUniqueViolation(err, 'phone')) throw phoneTaken()
    throw err
  }
  if (!user) {
    await releaseOtp(deps, reservation)
    throw phone ? phoneTaken() : emailTaken()
  }

  await deliverOtp(deps, reservation, { userId: user.id, name: user.name })
  audit(deps, { type: 'user_registered', actorId: user.id, subjectId: user.id, ...client, detail: { channel, role } })
  return {
    message: 'Registration successful',
    detail: `A verification code has been sent to ${reservation.to.address}`,
    channel,
    expires_in: config.OTP_EXPIRE_MINUTES * 60,
  }
}
