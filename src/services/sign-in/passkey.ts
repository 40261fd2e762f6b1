import { bytesToBase64Url } from '../../crypto/encoding'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { PasskeyRow, UserRow } from '../../storage/db/schema'
import type { PasskeyProof } from '../../storage/repos/mfa-tokens'
import { audit, auditRow } from '../audit'
import { assertUnderRequestLimit, groupOf, requestCounter } from '../limits'
import type { IdentifierInput } from '../otp'
import {
  type AuthenticationResponseJSON,
  CeremonyRefused,
  challengeId,
  decoyDescriptor,
  descriptorOf,
  newChallenge,
  REASONS,
  type RequestOptionsJSON,
  requestOptions,
  userHandle,
  verifyAssertion,
} from '../passkeys'
import { assertCanSignIn, type ClientInfo, newSession, openedResponse, type TokenResponse } from '../sessions'
import { passwordIdentifier } from './password'

/**
 * `POST /auth/passkey/options`: the request options for `navigator.credentials.get`. Without an
 * identifier, `allowCredentials` is empty (a discoverable passkey, chosen by the user). With one,
 * it lists that account's passkeys; an identifier with no passkey, or no account, gets one stand-in
 * entry instead (`decoyDescriptor`), so the answer never tells whether an account exists or holds a
 * passkey. One D1 round trip: the per-IP request counter, the challenge (bound to this pool), and
 * the account's passkeys.
 */
export async function passkeySignInOptions(
  deps: Deps,
  input: IdentifierInput & { username?: string | undefined },
  client: ClientInfo,
): Promise<RequestOptionsJSON> {
  const named = input.phone !== undefined || input.email !== undefined || input.username !== undefined
  const { identifier, lookup } = named ? passwordIdentifier(deps, input) : { identifier: '', lookup: undefined }
  const { bytes, row } = await newChallenge(deps)
  const now = deps.now()
  const begun = await deps.passkeys.beginSignIn({
    limit: requestCounter(deps, groupOf('POST /auth/passkey/options'), client.ip),
    challenge: row,
    holder: lookup,
    now,
  })
  assertUnderRequestLimit(deps, begun.limit, now)
  // EMAIL_VERIFICATION=required (SPEC §13): an email its holder has not proved names nobody.
  const unproven = lookup?.column === 'email' && deps.config.EMAIL_VERIFICATION === 'required' && !begun.holder?.emailVerified
  const own = unproven ? [] : begun.passkeys.map(descriptorOf)
  const allowCredentials = !named ? [] : own.length > 0 ? own : [await decoyDescriptor(deps, identifier)]
  return requestOptions(deps, { challenge: bytes, allow: allowCredentials })
}

/**
 * RFC 8176 methods of a passkey sign-in: `swk` for a synced (backup-eligible) passkey, `hwk` for
 * one bound to its device, and `mfa` (something held, and the PIN or biometrics that unlocked it).
 */
export const passkeyAmr = (backupEligible: boolean, userVerified: boolean) => [
  backupEligible ? 'swk' : 'hwk',
  ...(userVerified ? ['mfa'] : []),
]

/** What a passkey assertion verified as a second factor (SPEC §14) gives D1 to spend, and its `amr`. */
export interface PasskeyFactor {
  amr: string[]
  proof: { passkey: PasskeyProof }
}

/**
 * A passkey as the second factor of a sign-in (`POST /auth/mfa/verify { passkey }`): the same
 * checks as a passkey sign-in (origin, RP ID, user presence, signature with the stored key, the
 * user handle when sent) except that user verification is not required, the first factor being
 * the password or code. `passkey` is the stored passkey of that credential id, read only if it is
 * the mfa token's user's. Throws `CeremonyRefused`; the challenge and counter are D1's to decide.
 */
export async function passkeyFactor(
  deps: Deps,
  credential: AuthenticationResponseJSON,
  held: { user: UserRow; passkey: PasskeyRow | undefined },
): Promise<PasskeyFactor> {
  const { user, passkey } = held
  if (!passkey) throw new CeremonyRefused('unknown_credential')
  const verified = await verifyAssertion(deps, credential, { ...passkey, userVerification: 'optional' })
  const handle = credential.response.userHandle
  if (handle && handle !== bytesToBase64Url(await userHandle(user.id))) throw new CeremonyRefused('user_handle_mismatch')
  return {
    amr: passkeyAmr(passkey.backupEligible, false),
    proof: {
      passkey: {
        passkeyId: passkey.id,
        challengeId: await challengeId(verified.challenge),
        counter: verified.counter,
        backedUp: verified.backedUp,
      },
    },
  }
}

/**
 * `POST /auth/passkey/verify`: verifies the assertion (origin, RP ID, user presence and
 * verification, signature with the stored key, a counter that moves forward) and answers the token
 * response. Two D1 round trips: the passkey and its account (with the per-IP request counter),
 * then one batch that uses the challenge (single use, this pool's), moves the counter forward and
 * opens the session, each step only if the one before it won (a replay is a used challenge; a
 * clone's assertion uses up its challenge and opens nothing). Every refusal is 401 `invalid_credentials`
 * (its `detail` says why) and is audited; a counter that went backwards is also audited as
 * `passkey_counter_mismatch` (a cloned authenticator).
 */
export async function verifyPasskeySignIn(
  deps: Deps,
  credential: AuthenticationResponseJSON,
  client: ClientInfo,
): Promise<TokenResponse> {
  const now = deps.now()
  const found = await deps.passkeys.findCredential({
    limit: requestCounter(deps, groupOf('POST /auth/passkey/verify'), client.ip),
    credentialId: credential.id,
    now,
  })
  assertUnderRequestLimit(deps, found.limit, now)
  const { passkey, user } = found
  const refuse = (reason: keyof typeof REASONS | string, subjectId?: string) => {
    audit(deps, { type: 'login_failed', subjectId, ...client, detail: { method: 'passkey', reason, passkey_id: passkey?.id } })
    return new AppError('invalid_credentials', `Passkey sign-in failed: ${REASONS[reason] ?? reason}`)
  }
  if (!passkey || !user) throw refuse('unknown_credential')
  let verified: Awaited<ReturnType<typeof verifyAssertion>>
  try {
    verified = await verifyAssertion(deps, credential, passkey)
  } catch (err) {
    throw err instanceof CeremonyRefused ? refuse(err.reason, user.id) : err
  }
  const handle = credential.response.userHandle
  if (handle && handle !== bytesToBase64Url(await userHandle(user.id))) throw refuse('user_handle_mismatch', user.id)
  const cloned = () => {
    audit(deps, {
      type: 'passkey_counter_mismatch',
      subjectId: user.id,
      ...client,
      detail: { passkey_id: passkey.id, stored: passkey.counter, presented: verified.counter },
    })
    return refuse('counter_not_increased', user.id)
  }
  assertCanSignIn(user)

  // RFC 8176: `hwk` (device-bound) or `swk` (synced), and `mfa` with user verification: no second step.
  const amr = passkeyAmr(passkey.backupEligible, verified.userVerified)
  const session = await newSession(deps, { userId: user.id, client, amr })
  const outcome = await deps.passkeys.completeSignIn({
    challengeId: await challengeId(verified.challenge),
    passkey,
    counter: verified.counter,
    backedUp: verified.backedUp,
    now,
    session: session.row,
    audit: auditRow(deps, {
      type: 'login_succeeded',
      actorId: user.id,
      subjectId: user.id,
      ...client,
      detail: { method: 'passkey', passkey_id: passkey.id, amr },
    }),
  })
  // The challenge decides first: a replayed assertion is a used challenge, not a clone alarm.
  if (!outcome.challenge) throw refuse('challenge_unknown', user.id)
  // A counter that did not move forward (decided in the batch: a racing sign-in may have moved it).
  if (!outcome.counted) throw cloned()
  // Disabled between the two round trips.
  if (!outcome.opened) throw new AppError('account_disabled', 'This account is disabled')
  return openedResponse(deps, session, outcome.opened)
}
