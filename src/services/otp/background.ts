import type { Locale } from '../../config'
import type { Deps } from '../../deps'
import { accountLocale } from '../../i18n/locale'
import type { UserRow } from '../../storage/db/schema'
import { type RequestGroup, refundSmsBudget } from '../limits'
import type { ClientInfo } from '../sessions'
import { type DeliveryExtras, deliverOtp, storeUnsentOtp } from './deliver'
import type { Destination, OtpPurpose } from './destination'
import { reserveOtpForRequest } from './reserve'

export interface BackgroundOtp {
  purpose: OtpPurpose
  to: Destination
  client: ClientInfo
  /** The endpoint's per-IP request limit, counted in the send batch (`reserveOtpForRequest`). */
  requestGroup: RequestGroup
  /** Whether the account holding `to` (if any) gets a code. */
  shouldSend: (user: UserRow | undefined) => boolean
  /** What the message carries besides the code (an email's one-time link). */
  extrasFor?: (user: UserRow | undefined) => Promise<Omit<DeliveryExtras, 'locale'>>
  /** The request's language: the message's when no account holds `to` (an OTP sign-up), else the account's is. */
  locale: Locale
}

/**
 * Sends a code in the background and answers at once, identically for every account: the body
 * and the timing do not tell whether the account exists (SPEC §8). The send limits are applied
 * to the destination either way, so they do not tell either.
 */
export async function requestOtpInBackground(deps: Deps, r: BackgroundOtp): Promise<void> {
  // The endpoint's per-IP limit, the send limits, the reservation and the account lookup: one round trip.
  const { purpose, to, client, requestGroup } = r
  const { reservation, holder: user } = await reserveOtpForRequest(deps, { purpose, to, client, requestGroup })
  if (!r.shouldSend(user)) {
    // Nothing is sent; the reservation stays, so the cooldown does not tell, and a code nobody
    // gets is stored like a sent one, so guesses at it are counted the same (SPEC §5). A text's
    // budget charge goes back.
    deps.defer(async () => {
      await Promise.all([storeUnsentOtp(deps, reservation), reservation.budget ? refundSmsBudget(deps) : null])
    })
    return
  }
  deps.defer(async () => {
    try {
      const extras = (await r.extrasFor?.(user)) ?? {}
      // An address its account has not verified gets only the service's own words (SPEC §6.6).
      const name = r.to.channel === 'email' && user?.emailVerified ? user.name : undefined
      const locale = user ? accountLocale(deps.config, user.locale) : r.locale
      await deliverOtp(deps, reservation, { ...extras, locale, userId: user?.id, name })
    } catch {
      // deliverOtp released the reservation and audited the failure; nobody is waiting for an answer.
    }
  })
}
