import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import type { Hit } from '../../storage/repos/rate-limits'
import { DAY_MS } from '../../time'
import { audit } from '../audit'
import { validMobile } from '../identifiers'
import type { ClientInfo } from '../sessions'

const BUDGET_KEY = 'sms:budget'

/** The number without its last 4 digits: SMS pumping walks through ranges of one prefix. */
export const prefixOf = (e164: string) => e164.slice(0, -4)
export const countryOf = (e164: string) => validMobile(e164)?.country ?? 'ZZ'

const smsRangeKeys = (e164: string) => [`sms:prefix:${prefixOf(e164)}`, `sms:country:${countryOf(e164)}`]

/**
 * The daily counters a text is charged on, hit with its reservation (see otp's `challengeFor`), in this
 * order: its number range's, its country's, and the global budget's.
 */
export const smsChargeKeys = (e164: string) => [...smsRangeKeys(e164), BUDGET_KEY]
export const SMS_CHARGE_WINDOW_MS = DAY_MS

/**
 * Caps texts per number prefix and per country per day (SPEC issue 6: SMS-pumping defence),
 * given the first two counters of `smsChargeKeys`: D1 upserts, so the caps hold across isolates.
 */
export function assertSmsRangeLimits(deps: Deps, [prefix, country]: (Hit | undefined)[]): void {
  const c = deps.config
  if (!prefix || !country) throw new Error('missing SMS range counters')
  const over = prefix.count > c.SMS_PREFIX_DAILY_LIMIT ? prefix : country.count > c.SMS_COUNTRY_DAILY_LIMIT ? country : null
  if (over) {
    throw new AppError('rate_limited', 'Too many codes sent to numbers like this one today; try later', {
      retryAfter: retryAfterSeconds(over.resetInMs),
    })
  }
}

/**
 * The global daily SMS budget, given the counter the reservation charged (`smsChargeKeys`): once
 * it is spent the breaker is open, sends are refused with a clear 503 and each refusal is audited,
 * until the day ends. A refused text gives its charge back.
 */
export async function assertSmsBudget(deps: Deps, budget: Hit, client: ClientInfo): Promise<void> {
  if (budget.count <= deps.config.SMS_DAILY_BUDGET) return
  await refundSmsBudget(deps)
  console.error(
    JSON.stringify({ level: 'error', msg: 'sms daily budget exhausted: sending paused', budget: deps.config.SMS_DAILY_BUDGET }),
  )
  audit(deps, { type: 'sms_budget_exhausted', ...client, detail: { budget: deps.config.SMS_DAILY_BUDGET } })
  throw new AppError('sms_delivery_failed', 'Text messages are paused for today (daily budget reached); try email or later', {
    retryAfter: retryAfterSeconds(budget.resetInMs),
  })
}

/** Gives back the budget a reserved text was charged and will not use (not sent, or released). */
export const refundSmsBudget = (deps: Deps) => deps.rateLimits.release(BUDGET_KEY)

/** Gives back everything a text that could not be delivered was charged: budget, prefix, country. */
export function refundSms(deps: Deps, e164: string): Promise<unknown> {
  return Promise.all(smsChargeKeys(e164).map((key) => deps.rateLimits.release(key)))
}
