import { sha256Hex } from '../../crypto/hash'
import { randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, type MfaChallenge } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import type { MfaAttempt, PasskeyProof } from '../../storage/repos/mfa-tokens'
import type { FactorProof } from '../../storage/repos/second-factors'
import { MINUTE_MS } from '../../time'
import { audit, auditRow } from '../audit'
import { assertUnderRequestLimit, groupOf, requestCounter } from '../limits'
import { invalidCode } from '../otp'
import { type AuthenticationResponseJSON, CeremonyRefused, REASONS } from '../passkeys'
import {
  assertCanSignIn,
  type ClientInfo,
  newSession,
  openedResponse,
  SECOND_FACTOR_AMR,
  type TokenResponse,
  twoFactorAmr,
} from '../sessions'
import { passkeyFactor } from './passkey'
import { mfaMethodsOf, mfaRequired, type SecondFactorInput, type SecondFactorKind, secondFactorProof } from './second-factor'

// The second step of a sign-in (SPEC §14): a first factor passed for an account with MFA on
// yields no session, but a 403 `mfa_required` with an mfa token; POST /auth/mfa/verify with the
// token and a second factor opens the session.

export const MFA_TOKEN_TTL_MS = 5 * MINUTE_MS
export const MFA_TOKEN_MAX_ATTEMPTS = 5

/** A new mfa token: the value the client gets, the hash D1 keeps, and its expiry. */
export async function newMfaToken(deps: Deps): Promise<{ token: string; hash: string; expiresAt: number }> {
  const token = randomToken(32)
  return { token, hash: await sha256Hex(token), expiresAt: deps.now() + MFA_TOKEN_TTL_MS }
}

/** The body members of the 403 for `user`, holding `token`. */
export const challengeOf = (user: UserRow, token: string): MfaChallenge => ({
  mfa_token: token,
  methods: mfaMethodsOf(user),
  expires_in: MFA_TOKEN_TTL_MS / 1000,
})

/**
 * After a right password of an account with MFA on: issues the mfa token (one round trip, the
 * one that would have opened the session) and throws 403 `mfa_required` carrying it.
 */
export async function requireSecondFactor(deps: Deps, user: UserRow, amr: readonly string[]): Promise<never> {
  const t = await newMfaToken(deps)
  await deps.mfaTokens.issue({ hash: t.hash, userId: user.id, amr: amr.join(','), now: deps.now(), expiresAt: t.expiresAt })
  throw mfaRequired(challengeOf(user, t.token))
}

export interface MfaVerifyInput extends SecondFactorInput {
  mfa_token: string
  /** A WebAuthn assertion (`toJSON()`) of one of the user's passkeys (SPEC §14). */
  passkey?: AuthenticationResponseJSON | undefined
}

const deadToken = () => new AppError('invalid_token', 'The mfa_token is invalid, expired or already used; sign in again')
const tooManyAttempts = () =>
  new AppError('too_many_attempts', 'Too many wrong codes for this mfa_token; sign in again', { retryAfter: 1 })

/**
 * POST /auth/mfa/verify: the token response, once the mfa token and a second factor are right.
 * Two round trips: the first counts the per-IP request limit, takes one of the token's 5 attempts
 * (before the factor is evaluated) and reads the token, the user, the TOTP row and, for a passkey
 * assertion, the passkey of that credential id if it is the token's user's; the second spends the
 * factor (a TOTP step, a recovery code, or a passkey's challenge and a counter moved forward),
 * consumes the token and opens the session, in one transaction. A refused passkey is 401
 * `invalid_credentials` (its detail says why), a wrong code 400 `invalid_code`; either spends the attempt.
 */
export async function verifyMfa(deps: Deps, input: MfaVerifyInput, client: ClientInfo): Promise<TokenResponse> {
  const now = deps.now()
  const hash = await sha256Hex(input.mfa_token)
  const limit = requestCounter(deps, groupOf('POST /auth/mfa/verify'), client.ip)
  const credentialId = input.passkey?.id
  const round = await deps.mfaTokens.attempt({ hash, now, maxAttempts: MFA_TOKEN_MAX_ATTEMPTS, limit, credentialId })
  assertUnderRequestLimit(deps, round.limit, now)
  const { taken, user } = round
  if (!taken || !user) {
    const t = round.token
    const exhausted = t && t.usedAt === null && t.expiresAt > now && t.attempts >= MFA_TOKEN_MAX_ATTEMPTS
    throw exhausted ? tooManyAttempts() : deadToken()
  }
  const failed = (kind: string, reason?: string) => {
    const detail = { method: kind, attempt: taken.attempts, ...(reason ? { reason, passkey_id: round.passkey?.id } : {}) }
    audit(deps, { type: 'mfa_failed', subjectId: user.id, ...client, detail })
    return kind === 'passkey' ? passkeyRefused(reason ?? 'unknown_credential') : invalidCode()
  }
  const factor = await factorOf(deps, input, { user, round, failed })
  assertCanSignIn(user)
  const first = taken.amr.split(',')
  const session = await newSession(deps, { userId: user.id, client, amr: twoFactorAmr(first, factor.amr) })
  const result = await deps.mfaTokens.complete({
    hash,
    userId: user.id,
    factor: factor.proof,
    now,
    session: session.row,
    audit: auditRow(deps, {
      type: 'login_succeeded',
      actorId: user.id,
      subjectId: user.id,
      ...client,
      detail: { method: first.includes('pwd') ? 'password' : 'otp', second_factor: factor.kind },
    }),
  })
  // A used challenge (a replayed assertion) is refused as that, not as a clone alarm.
  if (!result.challenge) throw failed(factor.kind, 'challenge_unknown')
  if (!result.spent && 'passkey' in factor.proof) {
    // The counter did not move forward, unless a concurrent request consumed the token first.
    const stored = round.passkey?.counter ?? 0
    const presented = factor.proof.passkey.counter
    if (presented > stored || (presented === 0 && stored === 0)) throw deadToken()
    audit(deps, {
      type: 'passkey_counter_mismatch',
      subjectId: user.id,
      ...client,
      detail: { passkey_id: factor.proof.passkey.passkeyId, stored, presented, during: 'mfa' },
    })
    throw failed(factor.kind, 'counter_not_increased')
  }
  // A step accepted before (a replay, or a concurrent request with the same code), a used recovery code.
  if (!result.spent) throw failed(factor.kind)
  if (!result.opened) throw deadToken()
  if (factor.kind === 'recovery_code') {
    audit(deps, { type: 'recovery_code_used', actorId: user.id, subjectId: user.id, ...client, detail: { during: 'sign_in' } })
  }
  return openedResponse(deps, session, result.opened)
}

const passkeyRefused = (reason: string) =>
  new AppError('invalid_credentials', `Passkey second factor refused: ${REASONS[reason] ?? reason}`)

type Factor = { kind: SecondFactorKind | 'passkey'; amr: readonly string[]; proof: FactorProof | { passkey: PasskeyProof } }

/** The second factor the request carries, verified (D1 still to spend it), or the refusal `failed` makes. */
async function factorOf(
  deps: Deps,
  input: MfaVerifyInput,
  o: { user: UserRow; round: MfaAttempt; failed: (kind: string, reason?: string) => AppError },
): Promise<Factor> {
  if (input.passkey !== undefined) {
    try {
      const p = await passkeyFactor(deps, input.passkey, { user: o.user, passkey: o.round.passkey })
      return { kind: 'passkey', ...p }
    } catch (err) {
      throw err instanceof CeremonyRefused ? o.failed('passkey', err.reason) : err
    }
  }
  const factor = await secondFactorProof(deps, o.user, { input, totp: o.round.totp })
  if (!factor) throw o.failed(input.totp !== undefined ? 'totp' : 'recovery_code')
  return { ...factor, amr: SECOND_FACTOR_AMR[factor.kind] }
}
