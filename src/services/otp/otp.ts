import { bytesToBase64 } from '../../crypto/encoding'
import { newId, randomDigits } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import { log } from '../../log'
import { withOneRetry } from '../../providers/delivery'
import type { BatchStatement } from '../../storage/db/prepared'
import type { UserRow } from '../../storage/db/schema'
import type { Hit } from '../../storage/repos/rate-limits'
import { codeEmail } from '../../templates/email'
import { HOUR_MS, MINUTE_MS } from '../../time'
import { audit } from '../audit'
import type { E164 } from '../identifiers'
import {
  assertSmsBudget,
  assertSmsRangeLimits,
  ipBucket,
  limited,
  type RequestGroup,
  refundSms,
  refundSmsBudget,
  requestCounter,
  SMS_CHARGE_WINDOW_MS,
  smsChargeKeys,
} from '../limits'
import type { ClientInfo } from '../sessions'
import { codeMac } from './check'

export type OtpPurpose = 'register' | 'login' | 'reset' | 'email_change' | 'phone_change'
export type Channel = 'sms' | 'email'

export interface Destination {
  channel: Channel
  /** E.164 phone or normalised email. */
  address: string
}

const WORDING: Record<OtpPurpose, string> = {
  register: 'verification code',
  login: 'login code',
  reset: 'password reset code',
  email_change: 'email confirmation code',
  phone_change: 'phone confirmation code',
}

function message(deps: Deps, purpose: OtpPurpose, code: string): string {
  const minutes = deps.config.OTP_EXPIRE_MINUTES
  return `Your ${deps.config.APP_NAME} ${WORDING[purpose]} is ${code}. Valid for ${minutes} minutes.`
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
 * Applies the send limits (per-IP hourly cap, per-destination cooldown and daily cap, and for a
 * text its number range's and country's daily caps) and reserves a challenge, closing the
 * destination's previous code for this purpose: one D1 batch. Throws 429 `rate_limited` /
 * `otp_cooldown` with Retry-After.
 */
export async function reserveOtp(deps: Deps, purpose: OtpPurpose, to: Destination, client: ClientInfo): Promise<Reservation> {
  return (await reserveWith(deps, { purpose, to, client })).reservation
}

/**
 * `reserveOtp` for an endpoint without a rate-limit middleware: its per-IP request limit
 * (`requestGroup`) is counted first in the same batch (over it, nothing is reserved or counted;
 * 429), and the account holding the destination is read in it too. One round trip for all.
 */
export async function reserveOtpForRequest(
  deps: Deps,
  purpose: OtpPurpose,
  to: Destination,
  client: ClientInfo,
  requestGroup: RequestGroup,
): Promise<{ reservation: Reservation; holder: UserRow | undefined }> {
  const holder = deps.users.holderStatement(to.channel === 'sms' ? 'phone' : 'email', to.address)
  const { reservation, read } = await reserveWith(deps, { purpose, to, client, requestGroup, read: holder })
  return { reservation, holder: read?.[0] }
}

export interface ReserveOptions<R> {
  purpose: OtpPurpose
  to: Destination
  client: ClientInfo
  /** The endpoint's per-IP request limit, counted first in the batch (over it, nothing else is). */
  requestGroup?: RequestGroup
  /** A read run in the same batch. */
  read?: BatchStatement<R>
  /** False: the destination's older code stays open until the caller closes it (a registration, once accepted). */
  closeOlder?: boolean
  /** Called with the read when a send limit (not the request limit) refused: it may throw a better answer. */
  whenRefused?: (read: R | undefined) => void
}

/** Applies the send limits and reserves a challenge (see `reserveOtp`), with `ReserveOptions`: one D1 batch. */
export async function reserveWith<R>(
  deps: Deps,
  { purpose, to, client, requestGroup, read, closeOlder, whenRefused }: ReserveOptions<R>,
): Promise<{ reservation: Reservation; read: R | undefined }> {
  const now = deps.now()
  const c = deps.config
  const id = newId(now)
  const reserved = await deps.otpChallenges.reserve(
    {
      id,
      destination: `${to.channel}:${to.address}`,
      purpose,
      maxAttempts: c.OTP_MAX_ATTEMPTS,
      now,
      expiresAt: now + c.OTP_EXPIRE_MINUTES * MINUTE_MS,
      cooldownMs: c.OTP_RESEND_COOLDOWN_SECONDS * 1000,
      dailyLimit: c.OTP_DAILY_LIMIT,
      sender: { key: `otp-send:ip:${ipBucket(client.ip)}`, windowMs: HOUR_MS, limit: c.OTP_SENDS_PER_IP_PER_HOUR },
      charged: { keys: to.channel === 'sms' ? smsChargeKeys(to.address) : [], windowMs: SMS_CHARGE_WINDOW_MS },
      ...(requestGroup ? { request: requestCounter(deps, requestGroup, client.ip) } : {}),
      ...(closeOlder === false ? { closeOlder } : {}),
    },
    read,
  )
  if (!reserved.ok) {
    const retryAfter = retryAfterSeconds(reserved.retryAfterMs)
    if (reserved.limit === 'request') throw limited({ resetInMs: reserved.retryAfterMs })
    whenRefused?.(reserved.read)
    if (reserved.limit === 'sender')
      throw new AppError('rate_limited', 'Too many codes requested from this address', { retryAfter })
    throw reserved.limit === 'cooldown'
      ? new AppError('otp_cooldown', 'Please wait before asking for another code', { retryAfter })
      : new AppError('rate_limited', 'Too many codes sent to this destination today', { retryAfter })
  }
  const [prefix, country, budget] = reserved.charged
  const reservation: Reservation = { id, purpose, to, client, budget: budget ?? null }
  if (to.channel === 'sms') {
    try {
      assertSmsRangeLimits(deps, [prefix, country])
    } catch (err) {
      await releaseOtp(deps, reservation)
      throw err
    }
  }
  return { reservation, read: reserved.read }
}

/**
 * Forgets a reservation whose code will not be sent: it must not count against the cooldown, and
 * a text gives back its budget charge (the range counters keep it: they count attempts).
 */
export async function releaseOtp(deps: Deps, r: Reservation): Promise<void> {
  await Promise.all([deps.otpChallenges.release(r.id), r.budget ? refundSmsBudget(deps) : null])
}

/** Sends a text through the provider (one retry), then through SMS_FALLBACK_PROVIDER if that fails too. */
async function sendSms(deps: Deps, r: Reservation, text: string): Promise<void> {
  try {
    await withOneRetry(() => deps.sms.send(r.to.address as E164, text))
  } catch (err) {
    const fallback = deps.smsFallback
    if (!fallback) throw err
    log.warn('sms provider failed; using fallback', { provider: deps.sms.name, fallback: fallback.name })
    await withOneRetry(() => fallback.send(r.to.address as E164, text))
    audit(deps, {
      type: 'sms_fallback_used',
      ...r.client,
      detail: { provider: deps.sms.name, fallback: fallback.name, purpose: r.purpose },
    })
  }
}

/**
 * Generates the code, delivers it (one retry) and only then stores its MAC in KV. On failure the
 * reservation is released, so no code is left valid and no cooldown is charged, and the
 * provider's failure is thrown as 503.
 */
export interface DeliveryExtras {
  userId?: string | undefined
  /** The recipient's name, for the greeting of an email. */
  name?: string | null | undefined
  /** A one-time link doing what the code does (emails only). */
  link?: string | undefined
  linkMinutes?: number | undefined
}

export async function deliverOtp(deps: Deps, r: Reservation, extras: DeliveryExtras = {}): Promise<void> {
  const { userId } = extras
  const code = randomDigits(deps.config.OTP_LENGTH)
  if (r.budget) {
    try {
      await assertSmsBudget(deps, r.budget, r.client)
    } catch (err) {
      await deps.otpChallenges.release(r.id) // assertSmsBudget gave the budget back
      throw err
    }
  }
  try {
    const text = message(deps, r.purpose, code)
    if (r.to.channel === 'sms') {
      await sendSms(deps, r, text)
    } else {
      const mail = codeEmail({
        app: deps.config.APP_NAME,
        to: r.to.address,
        purpose: r.purpose,
        code,
        minutes: deps.config.OTP_EXPIRE_MINUTES,
        ...extras,
      })
      await withOneRetry(() => deps.email.send(mail))
    }
  } catch (err) {
    await Promise.all([deps.otpChallenges.release(r.id), r.to.channel === 'sms' ? refundSms(deps, r.to.address) : null])
    log.error('otp delivery failed', { channel: r.to.channel, error: String(err) })
    audit(deps, {
      type: 'otp_send_failed',
      subjectId: userId,
      ...r.client,
      detail: { purpose: r.purpose, channel: r.to.channel, provider: providerOf(deps, r) },
    })
    throw r.to.channel === 'sms'
      ? new AppError('sms_delivery_failed', 'The text message could not be sent; try again shortly')
      : new AppError('email_delivery_failed', 'The email could not be sent; try again shortly')
  }
  const mac = await codeMac(deps, r.id, r.purpose, r.to, code)
  await deps.otpCodes.put(
    r.purpose,
    `${r.to.channel}:${r.to.address}`,
    { id: r.id, mac: bytesToBase64(mac), ...(userId ? { uid: userId } : {}) },
    deps.config.OTP_EXPIRE_MINUTES * 60,
  )
  audit(deps, { type: 'otp_sent', subjectId: userId, ...r.client, detail: { purpose: r.purpose, channel: r.to.channel } })
}

/**
 * For a request that sends nothing (an unknown or inactive destination): stores a code nobody is
 * sent, as `deliverOtp` stores a real one, so guesses at it are counted and answered exactly as
 * for a known account (SPEC §5: no observable tells them apart). Its `uid` is no account's.
 */
export async function storeUnsentOtp(deps: Deps, r: Reservation): Promise<void> {
  const code = randomDigits(deps.config.OTP_LENGTH)
  const mac = await codeMac(deps, r.id, r.purpose, r.to, code)
  const entry = { id: r.id, mac: bytesToBase64(mac), uid: newId(deps.now()) }
  await deps.otpCodes.put(r.purpose, `${r.to.channel}:${r.to.address}`, entry, deps.config.OTP_EXPIRE_MINUTES * 60)
}

const providerOf = (deps: Deps, r: Reservation) => (r.to.channel === 'sms' ? deps.sms.name : deps.email.name)
