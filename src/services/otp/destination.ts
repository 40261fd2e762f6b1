import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'
import { normalizeEmail, parsePhone } from '../identifiers'

export type OtpPurpose = 'register' | 'login' | 'reset' | 'email_change' | 'phone_change'
export type Channel = 'sms' | 'email'

export interface Destination {
  channel: Channel
  /** E.164 phone or normalised email. */
  address: string
}

/** The one key a destination is stored and counted under (`sms:+…`, `email:…`): challenges, KV codes, lockouts. */
export const destinationKey = (to: Destination) => `${to.channel}:${to.address}`

export interface IdentifierInput {
  phone?: string | undefined
  email?: string | undefined
}

/** The destination a phone-or-email body names (exactly one is present; the schema checks that). */
export function destinationOf(deps: Deps, input: IdentifierInput): Destination {
  return input.phone !== undefined
    ? { channel: 'sms', address: parsePhone(input.phone, deps.config) }
    : { channel: 'email', address: normalizeEmail(input.email ?? '') }
}

/** The account holding a destination's phone or email. */
export function findByDestination(deps: Deps, to: Destination): Promise<UserRow | undefined> {
  return to.channel === 'sms' ? deps.users.byPhone(to.address) : deps.users.byEmail(to.address)
}
