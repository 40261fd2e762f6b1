import type { Locale } from '../../config'
import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import type { AppError } from '../../errors'
import { allowedLocale } from '../../i18n/allowed'
import type { UserRow } from '../../storage/db/schema'
import type { OtpCodeEntry } from '../../storage/kv/otp-codes'
import type { SignInPurpose } from '../../storage/repos/code-sign-in'
import { DAY_MS } from '../../time'
import { welcomeIfNew } from '../account'
import { auditRow } from '../audit'
import { assertUnderRequestLimit, groupOf, requestCounter } from '../limits'
import type { Destination, OtpPurpose } from '../otp'
import {
  destinationKey,
  destinationOf,
  failKeyOf,
  guessCode,
  type IdentifierInput,
  invalidCode,
  refusal,
  tooManyAttempts,
} from '../otp'
import { assertCanSignIn, type ClientInfo, FIRST_FACTOR_AMR, newSession, openedResponse, type TokenResponse } from '../sessions'
import { challengeOf, newMfaToken } from './mfa'
import { mfaRequired } from './second-factor'

// Verify of a sign-in code (SPEC §5): a registration's, a login's or an OTP sign-up's, one path.

/** The purposes of the codes a verify may use, read together (one KV call at most). */
const SIGN_IN: readonly SignInPurpose[] = ['login', 'register']

interface SentCode {
  purpose: SignInPurpose
  entry: OtpCodeEntry
}

/** A code typed for a destination, by a client. */
interface Attempt {
  to: Destination
  destination: string
  code: string
  client: ClientInfo
  /** The language of an account an OTP sign-up creates. */
  locale: Locale
}

/** The audit event of a code sign-in of `userId` (`created`: an OTP sign-up made the account). */
const signedInEvent = (a: Attempt, e: { userId: string; purpose: OtpPurpose; created: boolean }) =>
  ({
    type: 'login_succeeded',
    actorId: e.userId,
    subjectId: e.userId,
    ...a.client,
    detail: { method: 'otp', purpose: e.purpose, channel: a.to.channel, created: e.created },
  }) as const

/**
 * Completes a `register` code (a pending account becomes active), a `login` code (an active
 * account signs in, its channel now verified) or an OTP sign-up (a new active account), and opens
 * the session: one D1 batch (`codeSignIn.verify`), after one KV read unless this isolate sent the
 * code. An account with MFA on gets, from the same batch, an mfa token instead of a session (403
 * `mfa_required`, SPEC §14). A refusal may read the challenge again to say why (429
 * `too_many_attempts` or 400 `invalid_code`). An account an OTP sign-up creates gets `locale`
 * (the request's: one of LOCALES, else 400; left out, DEFAULT_LOCALE).
 */
export async function verifyCode(
  deps: Deps,
  input: IdentifierInput & { code: string; locale?: Locale | undefined },
  client: ClientInfo,
): Promise<TokenResponse> {
  const locale = allowedLocale(deps.config, input.locale ?? deps.config.DEFAULT_LOCALE)
  const to = destinationOf(deps, input)
  const a: Attempt = { to, destination: destinationKey(to), code: input.code, client, locale }
  // The entries this isolate wrote when it sent the codes, if it did: no KV read then.
  const recalled = SIGN_IN.flatMap((purpose) => {
    const entry = deps.otpCodes.recall(purpose, a.destination)
    return entry ? [{ purpose, entry }] : []
  })
  // None of the remembered codes is the one typed: another isolate may have sent one since, and
  // KV holds every code of the destination (a wrong guess must not be spent on a stale one).
  const recalledGuesses = await guessAll(deps, a, recalled)
  const remembered = recalledGuesses.some((g) => g.right)
  const sent = remembered ? recalled : await deps.otpCodes.getMany(SIGN_IN, a.destination)
  if (sent.length === 0) return noCode(deps, a)
  const guesses = remembered ? recalledGuesses : await guessAll(deps, a, sent)
  const first = await tryCodes(deps, a, { sent, guesses, countLimit: true })
  if ('response' in first) return first.response
  if (remembered) {
    // The remembered code typed is used, expired or out of attempts: if another isolate sent a
    // newer one since, the guess is a wrong guess at it (the limit was counted already).
    for (const { purpose } of recalled) deps.otpCodes.forget(purpose, a.destination)
    const current = await deps.otpCodes.getMany(SIGN_IN, a.destination)
    if (current.some((c) => !recalled.some((r) => r.entry.id === c.entry.id))) {
      const again = await tryCodes(deps, a, { sent: current, guesses: await guessAll(deps, a, current), countLimit: false })
      if ('response' in again) return again.response
      throw await refusalOf(deps, again.refused)
    }
  }
  throw await refusalOf(deps, first.refused)
}

/** The typed code compared with each code sent, in constant time; nothing is written. */
function guessAll(deps: Deps, a: Attempt, sent: SentCode[]): Promise<Guess[]> {
  return Promise.all(sent.map((s) => guessCode(deps, s.entry, { purpose: s.purpose, to: a.to, code: a.code, ip: a.client.ip })))
}

type Guess = Awaited<ReturnType<typeof guessCode>>
type Tried = { response: TokenResponse } | { refused: Guess[] }

interface Try {
  sent: SentCode[]
  /** The typed code compared with each of `sent` (`guessAll`). */
  guesses: Guess[]
  /** False when this request already counted its limit. */
  countLimit: boolean
}

/** Tries the guess on the codes sent, in one D1 batch. */
async function tryCodes(deps: Deps, a: Attempt, { sent, guesses, countLimit }: Try): Promise<Tried> {
  const rightAt = guesses.findIndex((g) => g.right)
  const chosen = sent[rightAt]
  const guess = guesses[Math.max(rightAt, 0)]
  if (!guess) throw new Error('no code to try')
  // A code sent to nobody (OTP sign-up) carries no account: the account it creates gets a new id.
  const userId = chosen?.entry.uid ?? newId(guess.now)
  const created = chosen !== undefined && chosen.entry.uid === undefined
  const signUp = created && deps.config.OTP_SIGNUP && a.to.channel === 'sms'
  const amr = [...FIRST_FACTOR_AMR[a.to.channel]]
  const session = await newSession(deps, { userId, client: a.client, amr })
  // Drafted for every guess, written only if the code is right for an account with MFA on (SPEC §14).
  const mfa = await newMfaToken(deps)
  const result = await deps.codeSignIn.verify({
    limit: requestCounter(deps, groupOf('POST /auth/verify'), a.client.ip),
    countLimit,
    channel: a.to.channel,
    address: a.to.address,
    candidates: sent.map((s, i) => ({ purpose: s.purpose, challengeId: s.entry.id, right: guesses[i]?.right === true })),
    failKey: guess.failKey,
    maxFailuresPerDay: deps.config.OTP_MAX_FAILURES_PER_DAY,
    now: guess.now,
    session: session.row,
    audit: auditRow(deps, signedInEvent(a, { userId, purpose: chosen?.purpose ?? 'login', created })),
    signUp: signUp ? { role: deps.config.END_USER_ROLES[0] as string, locale: a.locale } : undefined,
    mfa: { hash: mfa.hash, amr: amr.join(','), expiresAt: mfa.expiresAt },
  })
  if (result.limit) assertUnderRequestLimit(deps, result.limit, guess.now)
  if (result.mfaIssued && chosen && result.holder) {
    // The code is spent; the session waits for the second factor.
    deps.otpCodes.forget(chosen.purpose, a.destination)
    throw mfaRequired(challengeOf(result.holder, mfa.token))
  }
  if (result.opened && chosen) {
    deps.otpCodes.forget(chosen.purpose, a.destination)
    // A registration completed (or an email proved) by this code: the welcome email, if due (after the answer).
    welcomeIfNew(deps, result.holder, result.opened.user)
    return { response: await openedResponse(deps, session, result.opened) }
  }
  // A right code consumed for nobody (no sign-up here), or a wrong guess spent.
  if (result.taken) throw invalidCode()
  if (chosen) await assertLiveForEnabled(deps, result.holder, { userId, challengeId: chosen.entry.id })
  // Which challenge refused: the right one's, else the ones the holder's state calls for (a
  // pending holder's register code, then its login code, which takes the guesses once that one is dead).
  if (chosen) return { refused: [guess] }
  const wanted: SignInPurpose[] = result.holder?.status === 'pending' ? ['register', 'login'] : ['login']
  const refused = wanted.flatMap((p) => guesses.filter((_, i) => sent[i]?.purpose === p))
  return { refused: refused.length > 0 ? refused : [guess] }
}

/** The refusal of the first of these challenges that says more than 400 `invalid_code`, else that. */
async function refusalOf(deps: Deps, refused: Guess[]): Promise<AppError> {
  const errors = await Promise.all(refused.map((g) => refusal(deps, g)))
  return errors.find((e) => e.code !== 'invalid_code') ?? (errors[0] as AppError)
}

/**
 * A right code of an account disabled since it was sent is not used: 403 `account_disabled` while
 * its challenge is live (read only on this refusal path), else the challenge's own refusal.
 */
async function assertLiveForEnabled(deps: Deps, holder: UserRow | undefined, c: { userId: string; challengeId: string }) {
  if (!holder || holder.id !== c.userId || holder.status === 'active' || holder.status === 'pending') return
  const row = await deps.otpChallenges.byId(c.challengeId)
  if (row && row.closedAt === null && row.expiresAt > deps.now() && row.attempts < row.maxAttempts) assertCanSignIn(holder)
}

/**
 * A guess with no code sent to the destination: counts the per-IP request limit and reads the
 * guesser's daily failures, in one round trip; 429 `too_many_attempts` over that cap, else 400.
 */
async function noCode(deps: Deps, a: Attempt): Promise<never> {
  const now = deps.now()
  const failKey = failKeyOf(deps.pool, a.destination, a.client.ip)
  const { limit, failures } = await deps.codeSignIn.countGuess({
    limit: requestCounter(deps, groupOf('POST /auth/verify'), a.client.ip),
    failKey,
    now,
  })
  assertUnderRequestLimit(deps, limit, now)
  if (failures && failures.count > deps.config.OTP_MAX_FAILURES_PER_DAY) {
    throw tooManyAttempts(failures.windowStart + DAY_MS - now)
  }
  throw invalidCode()
}
