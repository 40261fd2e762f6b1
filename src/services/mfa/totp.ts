import { renderSVG } from 'uqr'
import { newId } from '../../crypto/random'
import { newRecoveryCode, RECOVERY_CODE_COUNT, recoveryCodeHash } from '../../crypto/recovery-codes'
import { base32Secret, matchingSteps, newTotpSecret, openTotpSecret, sealTotpSecret, totpUri } from '../../crypto/totp'
import type { Deps } from '../../deps'
import { AppError, invalidAccessToken } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { audit } from '../audit'
import { invalidCode } from '../otp'
import { assertRecentSignIn, type ClientInfo, type UserSession } from '../sessions'
import { assertReenteredPassword, type SecondFactorInput, secondFactorProof } from '../sign-in'

// SPEC §14 TOTP: enrol (a pending secret, shown once), confirm with a code (on, with 10 recovery
// codes shown once), turn off with a second factor. The secret is sealed at rest and never returned
// after enrolment; a time step is accepted once (D1 decides, storage/repos/second-factors.ts).

const alreadyOn = () => new AppError('mfa_already_enabled', 'TOTP is already on; turn it off first (DELETE /me/mfa/totp)')

async function userOf(deps: Deps, userId: string): Promise<UserRow> {
  const user = await deps.users.byId(userId)
  if (!user) throw invalidAccessToken()
  return user
}

/** The label an authenticator app shows for the account: its phone, else email, else username. */
const accountLabel = (u: UserRow): string => u.phone ?? u.email ?? u.username ?? u.id

/** POST /me/mfa/totp: a fresh secret, pending until confirmed (a pending one is replaced). */
export async function startTotpEnrolment(deps: Deps, userId: string) {
  const user = await userOf(deps, userId)
  const key = newTotpSecret()
  const sealed = await sealTotpSecret(deps.config.OTP_PEPPER, user.id, key)
  if (!(await deps.secondFactors.savePending({ userId: user.id, secret: sealed, now: deps.now() }))) throw alreadyOn()
  // The issuer is the pool's app name (SPEC §12): the name people see in their authenticator.
  const uri = totpUri(deps.config.APP_NAME, accountLabel(user), key)
  return { secret: base32Secret(key), otpauth_uri: uri, qr_svg: renderSVG(uri) }
}

/**
 * POST /me/mfa/totp/confirm: turns TOTP on with a code of the pending secret; the recovery codes,
 * shown once. Only from a recent sign-in: a stolen access token must not put a second factor the
 * owner does not hold on their account.
 */
export async function confirmTotp(
  deps: Deps,
  auth: UserSession,
  { code, client }: { code: string; client: ClientInfo },
): Promise<{ recovery_codes: string[] }> {
  const { userId } = auth
  await assertRecentSignIn(deps, auth, 'turn TOTP on')
  const { totp } = await deps.secondFactors.status(userId)
  if (totp?.enabledAt != null) throw alreadyOn()
  if (!totp) throw new AppError('not_found', 'No TOTP enrolment is pending: POST /me/mfa/totp first')
  const now = deps.now()
  const key = await openTotpSecret(deps.config.OTP_PEPPER, userId, totp.secret)
  const step = matchingSteps(key, code, now).find((s) => s > totp.lastStep)
  const refused = () => {
    audit(deps, {
      type: 'mfa_failed',
      subjectId: userId,
      actorId: userId,
      ...client,
      detail: { method: 'totp', during: 'enrolment' },
    })
    return invalidCode()
  }
  if (step === undefined) throw refused()
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
  const hashes = await Promise.all(codes.map((c) => recoveryCodeHash(deps.config.OTP_PEPPER, userId, c)))
  // Of concurrent confirms with one code, one turns TOTP on; the others find its step taken.
  if (!(await deps.secondFactors.enable({ userId, step, proof: newId(now), now, hashes }))) throw refused()
  audit(deps, { type: 'mfa_enrolled', subjectId: userId, actorId: userId, ...client, detail: { method: 'totp' } })
  return { recovery_codes: codes }
}

/**
 * DELETE /me/mfa/totp: turns TOTP off, and drops its recovery codes, with a second factor (a TOTP
 * code or a recovery code) and, for an account with a password, the password re-entered.
 */
export async function disableTotp(
  deps: Deps,
  userId: string,
  r: { factor: SecondFactorInput; currentPassword: string | undefined; client: ClientInfo },
): Promise<void> {
  const user = await userOf(deps, userId)
  const { totp } = await deps.secondFactors.status(userId)
  if (!totp || totp.enabledAt === null) throw new AppError('not_found', 'TOTP is not on')
  if (user.passwordHash) {
    if (r.currentPassword === undefined) {
      throw new AppError('reauthentication_required', 'Send current_password to turn TOTP off')
    }
    await assertReenteredPassword(deps, user, { password: r.currentPassword, client: r.client })
  }
  const now = deps.now()
  const factor = await secondFactorProof(deps, user, { input: r.factor, totp })
  const kind = r.factor.totp !== undefined ? 'totp' : 'recovery_code'
  if (!factor || !(await deps.secondFactors.disable({ userId, factor: factor.proof, proof: newId(now), now }))) {
    audit(deps, {
      type: 'mfa_failed',
      subjectId: userId,
      actorId: userId,
      ...r.client,
      detail: { method: kind, during: 'disable' },
    })
    throw invalidCode()
  }
  if (kind === 'recovery_code') {
    audit(deps, { type: 'recovery_code_used', subjectId: userId, actorId: userId, ...r.client, detail: { during: 'disable' } })
  }
  audit(deps, { type: 'mfa_disabled', subjectId: userId, actorId: userId, ...r.client, detail: { method: 'totp', with: kind } })
}

/** GET /me/mfa: whether TOTP is off, pending or on, and the recovery codes left. */
export async function mfaStatus(deps: Deps, userId: string) {
  const { totp, recoveryCodesLeft } = await deps.secondFactors.status(userId)
  const state = !totp ? 'off' : totp.enabledAt === null ? 'pending' : 'on'
  return { totp: state, recovery_codes_left: state === 'on' ? recoveryCodesLeft : 0 } as const
}
