import { hashPassword } from '../../crypto/password'
import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import type { BindInput, Held } from '../../storage/repos/registrations'
import { isUniqueViolation } from '../../storage/repos/users'
import { destinationKey, type Reservation } from '../otp'
import { scryptParams } from '../passwords'
import { emailIsTaken, forgetReleased } from './email-claims'

// The pending account a registration writes or keeps (SPEC §6.1), after `registrations.begin`.

export const phoneTaken = () => new AppError('phone_taken', 'This phone number is already registered')
export const emailTaken = () => new AppError('email_taken', 'This email is already registered')

/**
 * The account a registration would replace (holding its phone, else its pending holder of the
 * email, or an email holder that reserves it) and another account holding its email.
 */
export function holdersOf(held: Held[], phone: string | null, email: string | null) {
  const byPhone = phone ? held.find((h) => h.user.phone === phone) : undefined
  const byEmail = email ? held.find((h) => h.user.email === email) : undefined
  const primary = phone
    ? byPhone
    : byEmail && (byEmail.user.status === 'pending' || emailIsTaken(byEmail.user))
      ? byEmail
      : undefined
  return { primary, emailHolder: byEmail && byEmail !== primary ? byEmail : undefined }
}

/**
 * A pending registration whose `register` code is still unexpired: its phone and email are not
 * taken over, by a registration (SPEC §6.1) nor by another account's change (SPEC §6.2).
 */
export const isLivePending = (h: Held) => h.user.status === 'pending' && h.liveCode === 1

/** The registration's challenge, to bind to the account holding its destination. */
export const bindingOf = (deps: Deps, r: Reservation): BindInput => ({
  id: r.id,
  destination: destinationKey(r.to),
  purpose: r.purpose,
  now: deps.now(),
})

export interface NewPending {
  input: { name?: string | undefined; surname?: string | undefined; password: string }
  phone: string | null
  email: string | null
  role: string
  /** The account's language (SPEC §15), one of LOCALES. */
  locale: string
  reservation: Reservation
  claimEmail: string | null
}

/** Hashes the password and writes the pending account with its code's binding: one D1 batch. A refusal throws; the caller releases the reservation. */
export async function savePending(deps: Deps, p: NewPending): Promise<UserRow> {
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
    locale: p.locale,
    status: 'pending' as const,
    phoneVerified: false,
    emailVerified: false,
    createdAt: now,
    updatedAt: now,
  }
  let saved: Awaited<ReturnType<Deps['registrations']['save']>>
  try {
    saved = await deps.registrations.save({
      row,
      by: p.phone ? 'phone' : 'email',
      claimEmail: p.claimEmail,
      now,
      // A registration that wrote nothing (another holder won the race) closes no older code.
      bind: { ...bindingOf(deps, p.reservation), stamp: now },
    })
  } catch (err) {
    // The caller releases the reservation of a refused registration.
    if (isUniqueViolation(err, 'email')) throw emailTaken()
    if (isUniqueViolation(err, 'phone')) throw phoneTaken()
    throw err
  }
  if (!saved.user) throw p.phone ? phoneTaken() : emailTaken()
  await forgetReleased(deps, saved.released)
  return saved.user
}
