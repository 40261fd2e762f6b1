import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import type { ReserveInput, ReserveResult } from '../../storage/repos/otp-challenges'
import type { Hit } from '../../storage/repos/rate-limits'
import { HOUR_MS, MINUTE_MS } from '../../time'
import {
  assertSmsRangeLimits,
  assertUnderRequestLimit,
  ipBucket,
  limited,
  type RequestGroup,
  refundSmsBudget,
  requestCounter,
  SMS_CHARGE_WINDOW_MS,
  smsChargeKeys,
} from '../limits'
import type { ClientInfo } from '../sessions'
import { type Destination, destinationKey, type OtpPurpose } from './destination'

/** A code to send: what for, where to, from whom. */
export interface CodeRequest {
  purpose: OtpPurpose
  to: Destination
  client: ClientInfo
  /** The endpoint's per-IP request limit, counted first with the reservation (over it, nothing else is). */
  requestGroup?: RequestGroup
  /** Leave the destination's older code open (`acceptReservation` closes it once the request is accepted). */
  keepOlder?: boolean
}

export interface Reservation {
  id: string
  purpose: OtpPurpose
  to: Destination
  client: ClientInfo
  /** A text's charge on the daily SMS budget, taken with the reservation; null for an email. */
  budget: Hit | null
}

/**
 * The challenge a code request reserves, under the send limits: the per-IP hourly cap, the
 * destination's cooldown and daily cap, a text's range and country counters, and the endpoint's
 * request limit when it has one. For a repository intent (`otpChallenges.reserve…`, `registrations.begin`).
 */
export function challengeFor(deps: Deps, { purpose, to, client, requestGroup, keepOlder }: CodeRequest): ReserveInput {
  const now = deps.now()
  const c = deps.config
  return {
    id: newId(now),
    destination: destinationKey(to),
    purpose,
    maxAttempts: c.OTP_MAX_ATTEMPTS,
    now,
    expiresAt: now + c.OTP_EXPIRE_MINUTES * MINUTE_MS,
    cooldownMs: c.OTP_RESEND_COOLDOWN_SECONDS * 1000,
    dailyLimit: c.OTP_DAILY_LIMIT,
    sender: { key: `otp-send:ip:${ipBucket(client.ip)}`, windowMs: HOUR_MS, limit: c.OTP_SENDS_PER_IP_PER_HOUR },
    charged: { keys: to.channel === 'sms' ? smsChargeKeys(to.address) : [], windowMs: SMS_CHARGE_WINDOW_MS },
    ...(requestGroup ? { limit: requestCounter(deps, requestGroup, client.ip) } : {}),
    ...(keepOlder ? { closeOlder: false } : {}),
  }
}

/** Closes the older code a `keepOlder` reservation left open: the request that made it was accepted. */
export async function acceptReservation(deps: Deps, r: Reservation): Promise<void> {
  await deps.otpChallenges.closeOlder({ id: r.id, destination: destinationKey(r.to), purpose: r.purpose, now: deps.now() })
}

export interface Reserved {
  request: CodeRequest
  challenge: ReserveInput
  reserved: ReserveResult
  /** Called when a send limit (not the request limit) refused: it may throw a better answer. */
  whenRefused?: () => void
}

/**
 * The reservation a repository made, or the refusal it met thrown: 429 `rate_limited` (request
 * or sender limit, destination's daily cap) or `otp_cooldown`, with Retry-After. A text over its
 * range's or country's daily cap is released and refused too.
 */
export async function accepted(deps: Deps, { request, challenge, reserved, whenRefused }: Reserved): Promise<Reservation> {
  if (challenge.limit) assertUnderRequestLimit(deps, reserved.requestHit, challenge.now)
  if (!reserved.ok) {
    const retryAfter = retryAfterSeconds(reserved.retryAfterMs)
    if (reserved.limit === 'request') throw limited({ resetInMs: reserved.retryAfterMs })
    whenRefused?.()
    if (reserved.limit === 'sender')
      throw new AppError('rate_limited', 'Too many codes requested from this address', { retryAfter })
    throw reserved.limit === 'cooldown'
      ? new AppError('otp_cooldown', 'Please wait before asking for another code', { retryAfter })
      : new AppError('rate_limited', 'Too many codes sent to this destination today', { retryAfter })
  }
  const [prefix, country, budget] = reserved.charged
  const { purpose, to, client } = request
  const reservation: Reservation = { id: challenge.id, purpose, to, client, budget: budget ?? null }
  if (to.channel === 'sms') {
    try {
      assertSmsRangeLimits(deps, [prefix, country])
    } catch (err) {
      await releaseOtp(deps, reservation)
      throw err
    }
  }
  return reservation
}

/**
 * Applies the send limits and reserves a challenge, closing the destination's previous code for
 * this purpose: one D1 batch. Throws 429 `rate_limited` / `otp_cooldown` with Retry-After.
 */
export async function reserveOtp(deps: Deps, request: CodeRequest): Promise<Reservation> {
  const challenge = challengeFor(deps, request)
  return accepted(deps, { request, challenge, reserved: await deps.otpChallenges.reserve(challenge) })
}

/**
 * `reserveOtp` for an endpoint without a rate-limit middleware: its per-IP request limit is
 * counted first in the same batch (over it, nothing is reserved or counted; 429), and the account
 * holding the destination is read in it too. One round trip for all.
 */
export async function reserveOtpForRequest(
  deps: Deps,
  request: CodeRequest & { requestGroup: RequestGroup },
): Promise<{ reservation: Reservation; holder: UserRow | undefined }> {
  const challenge = challengeFor(deps, request)
  const limit = requestCounter(deps, request.requestGroup, request.client.ip)
  const { holder, ...reserved } = await deps.otpChallenges.reserveForRequest({ ...challenge, limit })
  return { reservation: await accepted(deps, { request, challenge, reserved }), holder }
}

/**
 * Forgets a reservation whose code will not be sent: it must not count against the cooldown, and
 * a text gives back its budget charge (the range counters keep it: they count attempts).
 */
export async function releaseOtp(deps: Deps, r: Reservation): Promise<void> {
  await Promise.all([deps.otpChallenges.release(r.id), r.budget ? refundSmsBudget(deps) : null])
}
