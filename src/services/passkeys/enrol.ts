import {
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import { bytesToBase64Url } from '../../crypto/encoding'
import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, invalidAccessToken } from '../../errors'
import { audit } from '../audit'
import type { ClientInfo } from '../sessions'
import {
  CHALLENGE_TTL_MS,
  challengeId,
  descriptorOf,
  knownTransports,
  newChallenge,
  type PasskeyView,
  REASONS,
  refusalReason,
  relyingParty,
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
export async function passkeyCreationOptions(deps: Deps, userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { bytes, row } = await newChallenge(deps)
  const { user, passkeys } = await deps.passkeys.beginRegistration({ userId, challenge: row, now: deps.now() })
  if (!user) throw invalidAccessToken()
  if (passkeys.length >= MAX_PASSKEYS)
    throw new AppError('forbidden', `An account holds at most ${MAX_PASSKEYS} passkeys; delete one first`)
  const rp = relyingParty(deps)
  const userName = user.username ?? user.email ?? user.phone ?? user.id
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: await userHandle(user.id),
    userName,
    userDisplayName: [user.name, user.surname].filter(Boolean).join(' ') || userName,
    challenge: bytes,
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    // Their authenticators answer InvalidStateError instead of making a second credential.
    excludeCredentials: passkeys.map(descriptorOf),
    // Discoverable (a passkey signs in without an identifier); the user verified when the authenticator can.
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
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
  userId: string,
  input: { credential: RegistrationResponseJSON; name?: string | undefined; client: ClientInfo },
): Promise<PasskeyView> {
  const rp = relyingParty(deps)
  let challenge = ''
  let info: NonNullable<Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo']>
  try {
    const result = await verifyRegistrationResponse({
      response: input.credential,
      // Any challenge passes here: the D1 batch below decides whether it is this user's, live and unused.
      expectedChallenge: (c) => {
        challenge = c
        return true
      },
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: false,
    })
    if (!result.verified || !result.registrationInfo) throw refused('malformed_credential')
    info = result.registrationInfo
  } catch (err) {
    throw err instanceof AppError ? err : refused(refusalReason(err))
  }
  const now = deps.now()
  const { credential } = info
  const { challenge: used, passkey } = await deps.passkeys.register({
    challengeId: await challengeId(challenge),
    now,
    row: {
      id: newId(now),
      userId,
      credentialId: credential.id,
      publicKey: bytesToBase64Url(credential.publicKey),
      counter: credential.counter,
      transports: knownTransports(input.credential.response.transports ?? []),
      name: input.name ?? 'Passkey',
      aaguid: info.aaguid,
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
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
