import type { Locale } from '../../config'
import { bytesToBase64 } from '../../crypto/encoding'
import { newId, randomDigits } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { log } from '../../log'
import { withOneRetry } from '../../providers/delivery'
import { codeEmail } from '../../templates/email'
import { audit } from '../audit'
import type { E164 } from '../identifiers'
import { assertSmsBudget, refundSms } from '../limits'
import { codeMac } from './check'
import { destinationKey } from './destination'
import { codeText } from './message'
import type { Reservation } from './reserve'

export interface DeliveryExtras {
  /** The language of the text or email: the account's (`accountLocale`), or the request's for an address no account holds yet. */
  locale: Locale
  userId?: string | undefined
  /** The recipient's name, for the greeting of an email. */
  name?: string | null | undefined
  /** A one-time link doing what the code does (emails only). */
  link?: string | undefined
  linkMinutes?: number | undefined
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

/** Stores a code's MAC (never the code) in KV under its purpose and destination, until it expires. */
async function storeCode(deps: Deps, r: Reservation, { code, uid }: { code: string; uid: string | undefined }): Promise<void> {
  const mac = await codeMac(deps, { challengeId: r.id, purpose: r.purpose, to: r.to, code })
  const entry = { id: r.id, mac: bytesToBase64(mac), ...(uid ? { uid } : {}) }
  await deps.otpCodes.put(r.purpose, destinationKey(r.to), entry, deps.config.OTP_EXPIRE_MINUTES * 60)
}

/**
 * Generates the code, delivers it (one retry) and only then stores its MAC in KV. On failure the
 * reservation is released, so no code is left valid and no cooldown is charged, and the
 * provider's failure is thrown as 503.
 */
export async function deliverOtp(deps: Deps, r: Reservation, extras: DeliveryExtras): Promise<void> {
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
    if (r.to.channel === 'sms') {
      await sendSms(deps, r, codeText(deps, { purpose: r.purpose, code, locale: extras.locale }))
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
  await storeCode(deps, r, { code, uid: userId })
  audit(deps, { type: 'otp_sent', subjectId: userId, ...r.client, detail: { purpose: r.purpose, channel: r.to.channel } })
}

/**
 * For a request that sends nothing (an unknown or inactive destination): stores a code nobody is
 * sent, as `deliverOtp` stores a real one, so guesses at it are counted and answered exactly as
 * for a known account (SPEC §5: no observable tells them apart). Its `uid` is no account's.
 */
export async function storeUnsentOtp(deps: Deps, r: Reservation): Promise<void> {
  await storeCode(deps, r, { code: randomDigits(deps.config.OTP_LENGTH), uid: newId(deps.now()) })
}

const providerOf = (deps: Deps, r: Reservation) => (r.to.channel === 'sms' ? deps.sms.name : deps.email.name)
