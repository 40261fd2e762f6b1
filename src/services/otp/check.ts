import { timingSafeEqual } from '../../crypto/compare'
import { base64ToBytes } from '../../crypto/encoding'
import { hmacSha256 } from '../../crypto/hash'
import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import { type Pool, poolKey } from '../../pools'
import type { OtpCodeEntry } from '../../storage/kv/otp-codes'
import { ipBucket } from '../limits'
import { type Destination, destinationKey, type OtpPurpose } from './destination'

// Checking a one-time code (SPEC §5): the constant-time comparison with its KV entry, and the
// atomic D1 decisions on attempts, single use, the per-IP-bucket daily failure cap and the
// account the code is bound to.

// The MAC binds the code to its challenge, purpose and destination: a code for one never fits another.
export async function codeMac(deps: Deps, c: { challengeId: string; purpose: OtpPurpose; to: Destination; code: string }) {
  return hmacSha256(deps.config.OTP_PEPPER, `${c.challengeId}|${c.purpose}|${destinationKey(c.to)}|${c.code}`)
}

/** 400 `invalid_code`: the one answer for a wrong, used, expired or foreign code (no hint why). */
export const invalidCode = () => new AppError('invalid_code', 'The code is invalid or has expired')
/** 429 `too_many_attempts`, Retry-After in `retryAfterMs`. */
export const tooManyAttempts = (retryAfterMs: number) =>
  new AppError('too_many_attempts', 'Too many wrong codes; request a new one later', {
    retryAfter: retryAfterSeconds(retryAfterMs),
  })

/** The daily failure counter of a destination for one client IP bucket (SPEC §5). */
export const failKeyOf = (pool: Pool, destination: string, ip: string) => poolKey(pool, `otp-fail:${destination}:${ipBucket(ip)}`)

/**
 * 429 `too_many_attempts` while this IP bucket has more than OTP_MAX_FAILURES_PER_DAY wrong
 * guesses at the destination in its 24 h window (SPEC §5), with Retry-After until the window ends; else null.
 */
async function overDailyFailures(deps: Deps, failKey: string, now: number): Promise<AppError | null> {
  const clearAt = await deps.otpChallenges.failuresClearAt(failKey, now, deps.config.OTP_MAX_FAILURES_PER_DAY)
  return clearAt === null ? null : tooManyAttempts(clearAt - now)
}

/** A right code whose challenge is still to be consumed (`consumeOtp`, or in a caller's batch). */
export interface RightCode {
  challengeId: string
  destination: string
  /** The guesser's per-IP-bucket failure counter (`failKeyOf`). */
  failKey: string
  now: number
}

/** A guess compared with a code's KV entry, its challenge still to take it. */
export interface Guess extends RightCode {
  right: boolean
}

/** A code typed for a destination, from a client. */
export interface CodeCheck {
  purpose: OtpPurpose
  to: Destination
  code: string
  /** The client's address: wrong guesses count against its IP bucket. */
  ip: string
}

/** Compares a guess with the code a KV entry holds, in constant time; nothing is written. */
export async function guessCode(deps: Deps, entry: OtpCodeEntry, c: CodeCheck): Promise<Guess> {
  const mac = await codeMac(deps, { challengeId: entry.id, purpose: c.purpose, to: c.to, code: c.code })
  const right = timingSafeEqual(mac, base64ToBytes(entry.mac))
  const destination = destinationKey(c.to)
  return { challengeId: entry.id, destination, failKey: failKeyOf(deps.pool, destination, c.ip), now: deps.now(), right }
}

const guessInput = (deps: Deps, r: RightCode) => ({
  id: r.challengeId,
  destination: r.destination,
  now: r.now,
  maxFailuresPerDay: deps.config.OTP_MAX_FAILURES_PER_DAY,
  failKey: r.failKey,
})

/**
 * Checks a code without using it: looks its MAC up in KV and compares it in constant time. A
 * wrong guess is spent on the D1 challenge row here, atomically, and refused.
 * Throws 400 `invalid_code` (no hint why) or 429 `too_many_attempts`.
 */
export async function checkOtp(deps: Deps, c: CodeCheck): Promise<RightCode> {
  const now = deps.now()
  const destination = destinationKey(c.to)
  const entry = await deps.otpCodes.get(c.purpose, destination)
  if (!entry) throw (await overDailyFailures(deps, failKeyOf(deps.pool, destination, c.ip), now)) ?? invalidCode()
  const { right, ...checked } = await guessCode(deps, entry, c)
  if (right) return checked
  if (await deps.otpChallenges.spendAttempt(guessInput(deps, checked), newId(checked.now))) throw invalidCode()
  throw await refusal(deps, checked)
}

/**
 * Why a challenge took no guess: the guesser's IP bucket over the destination's daily failure
 * cap (429 `too_many_attempts`, Retry-After until it is not), out of attempts (429, Retry-After
 * until a new code may be asked for), or used, expired or bound to another account (400 `invalid_code`).
 */
export async function refusal(deps: Deps, { challengeId, failKey, now }: RightCode): Promise<AppError> {
  const [row, over] = await Promise.all([deps.otpChallenges.byId(challengeId), overDailyFailures(deps, failKey, now)])
  if (over) return over
  if (row && row.closedAt === null && row.expiresAt > now && row.attempts >= row.maxAttempts) {
    return tooManyAttempts(row.createdAt + deps.config.OTP_RESEND_COOLDOWN_SECONDS * 1000 - now)
  }
  return invalidCode()
}

/**
 * Uses a right code: one conditional statement, so exactly one concurrent caller consumes the
 * challenge (open, unexpired, under its attempt and daily failure caps, and still bound to the
 * account holding the destination, as it was when the code was sent). The KV entry is left to
 * expire: the closed D1 row already makes it useless everywhere.
 */
export async function consumeOtp(deps: Deps, right: RightCode): Promise<void> {
  if (!(await deps.otpChallenges.consume(guessInput(deps, right)))) throw await refusal(deps, right)
}

/**
 * Checks a code and consumes it. Attempts, expiry, single use and the account binding are decided
 * by atomic updates of the D1 challenge row, never by KV alone; the comparison is constant-time.
 * Throws 400 `invalid_code` (no hint why) or 429 `too_many_attempts`.
 */
export async function verifyOtp(deps: Deps, c: CodeCheck): Promise<void> {
  await consumeOtp(deps, await checkOtp(deps, c))
}
