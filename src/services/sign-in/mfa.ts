import { sha256Hex } from '../../crypto/hash'
import { randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, type MfaChallenge } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { MINUTE_MS } from '../../time'
import { audit, auditRow } from '../audit'
import { assertUnderRequestLimit, groupOf, requestCounter } from '../limits'
import { invalidCode } from '../otp'
import {
  assertCanSignIn,
  type ClientInfo,
  newSession,
  openedResponse,
  SECOND_FACTOR_AMR,
  type TokenResponse,
  twoFactorAmr,
} from '../sessions'
import { mfaMethodsOf, mfaRequired, type SecondFactorInput, secondFactorProof } from './second-factor'

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
  /** A WebAuthn assertion (SPEC §14): accepted by the schema, refused until passkeys land. */
  passkey?: unknown
}

const deadToken = () => new AppError('invalid_token', 'The mfa_token is invalid, expired or already used; sign in again')
const tooManyAttempts = () =>
  new AppError('too_many_attempts', 'Too many wrong codes for this mfa_token; sign in again', { retryAfter: 1 })

/**
 * POST /auth/mfa/verify: the token response, once the mfa token and a second factor are right.
 * Two round trips: the first counts the per-IP request limit, takes one of the token's 5 attempts
 * (before the factor is evaluated) and reads the token, the user and the TOTP row; the second
 * spends the factor, consumes the token and opens the session, in one transaction.
 */
export async function verifyMfa(deps: Deps, input: MfaVerifyInput, client: ClientInfo): Promise<TokenResponse> {
  if (input.passkey !== undefined) {
    // PASSKEY HOOK (issue 19, passkeys branch): verify the assertion against the user's passkeys
    // here, then spend the token as `complete` does for the other factors (amr: hwk/swk + mfa).
    throw new AppError('validation_error', 'passkey second factor not available', {
      fields: { passkey: 'passkey second factor not available' },
    })
  }
  const now = deps.now()
  const hash = await sha256Hex(input.mfa_token)
  const limit = requestCounter(deps, groupOf('POST /auth/mfa/verify'), client.ip)
  const round = await deps.mfaTokens.attempt({ hash, now, maxAttempts: MFA_TOKEN_MAX_ATTEMPTS, limit })
  assertUnderRequestLimit(deps, round.limit, now)
  const { taken, user } = round
  if (!taken || !user) {
    const t = round.token
    const exhausted = t && t.usedAt === null && t.expiresAt > now && t.attempts >= MFA_TOKEN_MAX_ATTEMPTS
    throw exhausted ? tooManyAttempts() : deadToken()
  }
  const failed = (kind: string) => {
    audit(deps, { type: 'mfa_failed', subjectId: user.id, ...client, detail: { method: kind, attempt: taken.attempts } })
    return invalidCode()
  }
  const kindTried = input.totp !== undefined ? 'totp' : 'recovery_code'
  const factor = await secondFactorProof(deps, user, { input, totp: round.totp })
  if (!factor) throw failed(kindTried)
  assertCanSignIn(user)
  const first = taken.amr.split(',')
  const session = await newSession(deps, { userId: user.id, client, amr: twoFactorAmr(first, SECOND_FACTOR_AMR[factor.kind]) })
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
  // A step accepted before (a replay, or a concurrent request with the same code), a used recovery code.
  if (!result.spent) throw failed(factor.kind)
  if (!result.opened) throw deadToken()
  if (factor.kind === 'recovery_code') {
    audit(deps, { type: 'recovery_code_used', actorId: user.id, subjectId: user.id, ...client, detail: { during: 'sign_in' } })
  }
  return openedResponse(deps, session, result.opened)
}
