import { recoveryCodeHash } from '../../crypto/recovery-codes'
import { matchingSteps, openTotpSecret } from '../../crypto/totp'
import type { Deps } from '../../deps'
import { AppError, type MfaChallenge } from '../../errors'
import { MFA_METHOD, type TotpRow, type UserRow } from '../../storage/db/schema'
import type { FactorProof } from '../../storage/repos/second-factors'

/** A second factor as a request carries it (SPEC §14): a TOTP code or a recovery code. */
export interface SecondFactorInput {
  totp?: string | undefined
  recovery_code?: string | undefined
}

export type SecondFactorKind = 'totp' | 'recovery_code'

/** Whether an account must pass a second factor to sign in: read from the user row the sign-in already holds. */
// MFA is on once TOTP is confirmed (SPEC §14: `/me/mfa/totp/confirm` turns it on); a passkey is
// then one more second factor. Holding a passkey alone does not put a second step on code and
// password sign-ins: a phone-first user who loses the device keeps signing in by SMS.
export const hasMfa = (user: UserRow): boolean => (user.mfaMethods & MFA_METHOD.totp) !== 0

/**
 * The second factors a user has, as a 403 `mfa_required` lists them. A new factor adds its bit
 * (storage/db/schema MFA_METHOD) and its line here: passkeys set `MFA_METHOD.passkey`.
 */
export function mfaMethodsOf(user: UserRow): string[] {
  const methods: string[] = []
  if (user.mfaMethods & MFA_METHOD.totp) methods.push('totp', 'recovery_code')
  if (user.mfaMethods & MFA_METHOD.totp && user.mfaMethods & MFA_METHOD.passkey) methods.push('passkey')
  return methods
}

/** 403 `mfa_required` of a sign-in: the token of its second step, and the factors that meet it. */
export const mfaRequired = (mfa: MfaChallenge) =>
  new AppError('mfa_required', 'A second factor is required: send mfa_token and a code to POST /auth/mfa/verify', { mfa })

/**
 * What D1 must spend to accept a second factor, or undefined when it is wrong: a TOTP code
 * matching a time step of the window above the last one accepted (D1 decides that atomically
 * too), or a recovery code's keyed hash (D1 decides whether it is unused).
 */
export async function secondFactorProof(
  deps: Deps,
  user: UserRow,
  { input, totp }: { input: SecondFactorInput; totp: TotpRow | undefined },
): Promise<{ kind: SecondFactorKind; proof: FactorProof } | undefined> {
  const pepper = deps.config.OTP_PEPPER
  if (input.totp !== undefined) {
    if (!totp || totp.enabledAt === null) return undefined
    const key = await openTotpSecret(pepper, user.id, totp.secret)
    const step = matchingSteps(key, input.totp, deps.now()).find((s) => s > totp.lastStep)
    return step === undefined ? undefined : { kind: 'totp', proof: { step } }
  }
  if (input.recovery_code !== undefined) {
    return { kind: 'recovery_code', proof: { recoveryHash: await recoveryCodeHash(pepper, user.id, input.recovery_code) } }
  }
  return undefined
}
