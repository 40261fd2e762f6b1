import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, invalidAccessToken } from '../../errors'
import { audit } from '../audit'
import { assertRecentSignIn, type ClientInfo, type UserSession } from '../sessions'
import {
  CeremonyRefused,
  type CreationOptionsJSON,
  creationOptions,
  type RegistrationResponseJSON,
  verifyRegistration,
} from './ceremony'
import {
  challengeId,
  descriptorOf,
  knownTransports,
  newChallenge,
  type PasskeyView,
  REASONS,
  toPasskeyView,
  userHandle,
} from './webauthn'

/** Passkeys one account may hold: the creation options list them all (`excludeCredentials`). */
export const MAX_PASSKEYS = 20

const refused = (reason: string) =>
  new AppError('validation_error', 'The passkey could not be registered', { fields: { credential: REASONS[reason] ?? reason } })

/**
 * `POST /me/passkeys/options`: the creation options for `navigator.credentials.create` (as
 * `PublicKeyCredential.parseCreationOptionsFromJSON` takes them). One D1 round trip: the
 * challenge, bound to this user, stored with the account and its passkeys read.
 */
export async function passkeyCreationOptions(deps: Deps, userId: string): Promise<CreationOptionsJSON> {
  const { bytes, row } = await newChallenge(deps)
  const { user, passkeys } = await deps.passkeys.beginRegistration({ userId, challenge: row, now: deps.now() })
  if (!user) throw invalidAccessToken()
  if (passkeys.length >= MAX_PASSKEYS)
    throw new AppError('forbidden', `An account holds at most ${MAX_PASSKEYS} passkeys; delete one first`)
  const name = user.username ?? user.email ?? user.phone ?? user.id
  return creationOptions(deps, {
    challenge: bytes,
    user: { id: await userHandle(user.id), name, displayName: [user.name, user.surname].filter(Boolean).join(' ') || name },
    exclude: passkeys.map(descriptorOf),
  })
}

/**
 * `POST /me/passkeys`: verifies the new credential's attestation (`none` accepted; no attestation
 * is trusted, none is needed) against the challenge, the RP ID and the allowed origins, then uses
 * the challenge and stores the passkey in one D1 round trip. 400 `validation_error` (field
 * `credential`) when refused, 409 `passkey_taken` when the credential is registered already.
 */
export async function addPasskey(
  deps: Deps,
  auth: UserSession,
  input: { credential: RegistrationResponseJSON; name?: string | undefined; client: ClientInfo },
): Promise<PasskeyView> {
  const { userId } = auth
  // A stolen access token must not add a way in (a passkey signs in alone): a recent sign-in only.
  await assertRecentSignIn(deps, auth, 'add a passkey')
  let verified: Awaited<ReturnType<typeof verifyRegistration>>
  try {
    verified = await verifyRegistration(deps, input.credential)
  } catch (err) {
    throw err instanceof CeremonyRefused ? refused(err.reason) : err
  }
  const now = deps.now()
  const { challenge: used, passkey } = await deps.passkeys.register({
    challengeId: await challengeId(verified.challenge),
    now,
    row: {
      id: newId(now),
      userId,
      credentialId: verified.credentialId,
      publicKey: verified.publicKey,
      counter: verified.counter,
      transports: knownTransports(input.credential.response.transports ?? []),
      name: input.name ?? 'Passkey',
      aaguid: verified.aaguid,
      backupEligible: verified.backupEligible,
      backedUp: verified.backedUp,
      createdAt: now,
    },
  })
  if (!used) throw refused('challenge_unknown')
  if (!passkey) throw new AppError('passkey_taken', 'This passkey is registered already')
  audit(deps, {
    type: 'passkey_added',
    actorId: userId,
    subjectId: userId,
    ...input.client,
    detail: { passkey_id: passkey.id, aaguid: passkey.aaguid, backup_eligible: passkey.backupEligible },
  })
  return toPasskeyView(passkey)
}

/** `GET /me/passkeys`: every passkey of the user (at most MAX_PASSKEYS, one page), oldest first. */
export async function listPasskeys(deps: Deps, userId: string) {
  return { items: (await deps.passkeys.listOf(userId)).map(toPasskeyView), next_cursor: null }
}

const noSuchPasskey = () => new AppError('not_found', 'No such passkey')

/** `PATCH /me/passkeys/{id}`: a new name. 404 unless it is the user's. */
export async function renamePasskey(deps: Deps, userId: string, change: { id: string; name: string }): Promise<PasskeyView> {
  const row = await deps.passkeys.rename(userId, change.id, change.name)
  if (!row) throw noSuchPasskey()
  return toPasskeyView(row)
}

/** `DELETE /me/passkeys/{id}`: it no longer signs in (sessions it opened live on). 404 unless it is the user's. */
export async function removePasskey(deps: Deps, userId: string, target: { id: string; client: ClientInfo }): Promise<void> {
  const row = await deps.passkeys.remove(userId, target.id)
  if (!row) throw noSuchPasskey()
  audit(deps, {
    type: 'passkey_removed',
    actorId: userId,
    subjectId: userId,
    ...target.client,
    detail: { passkey_id: row.id, aaguid: row.aaguid },
  })
}
