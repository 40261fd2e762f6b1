import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import { base64ToBytes, bytesToBase64Url } from '../../crypto/encoding'
import type { Deps } from '../../deps'
import { CHALLENGE_TTL_MS, refusalReason, relyingParty } from './webauthn'

// The one file that calls the WebAuthn library (@simplewebauthn/server): options, and the two
// verifications with this deployment's RP ID and origins. Swapping the library touches this file
// only; test/integration/passkeys.test.ts and the browser check hold any replacement to the same behaviour.

export type { AuthenticationResponseJSON, RegistrationResponseJSON }
export type CreationOptionsJSON = PublicKeyCredentialCreationOptionsJSON
export type RequestOptionsJSON = PublicKeyCredentialRequestOptionsJSON

/** A ceremony the library refused, and why (a key of REASONS). */
export class CeremonyRefused extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

type Descriptor = { id: string; transports: ('ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb')[] }

/** Creation options: attestation `none`, a discoverable credential, UV preferred, the user's passkeys excluded. */
export function creationOptions(
  deps: Deps,
  o: {
    challenge: Uint8Array<ArrayBuffer>
    user: { id: Uint8Array<ArrayBuffer>; name: string; displayName: string }
    exclude: Descriptor[]
  },
): Promise<CreationOptionsJSON> {
  const rp = relyingParty(deps)
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: o.user.id,
    userName: o.user.name,
    userDisplayName: o.user.displayName,
    challenge: o.challenge,
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    // Their authenticators answer InvalidStateError instead of making a second credential.
    excludeCredentials: o.exclude,
    // Discoverable (a passkey signs in without an identifier); the user verified when the authenticator can.
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
  })
}

/** Request options; `required` user verification: a passkey sign-in has no second step. */
export function requestOptions(
  deps: Deps,
  o: { challenge: Uint8Array<ArrayBuffer>; allow: Descriptor[] },
): Promise<RequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: relyingParty(deps).id,
    challenge: o.challenge,
    allowCredentials: o.allow,
    userVerification: 'required',
    timeout: CHALLENGE_TTL_MS,
  })
}

/**
 * A new credential's attestation (`none` accepted; no attestation is trusted, none is needed),
 * origin, RP ID and user presence. The challenge it answers is returned, not checked: the caller's
 * D1 batch decides whether it is live, unused and the user's.
 */
export async function verifyRegistration(deps: Deps, credential: RegistrationResponseJSON) {
  const rp = relyingParty(deps)
  let challenge = ''
  try {
    const { verified, registrationInfo: info } = await verifyRegistrationResponse({
      response: credential,
      expectedChallenge: (c) => {
        challenge = c
        return true
      },
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: false,
    })
    if (!verified || !info) throw new CeremonyRefused('malformed_credential')
    return {
      challenge,
      credentialId: info.credential.id,
      publicKey: bytesToBase64Url(info.credential.publicKey),
      counter: info.credential.counter,
      aaguid: info.aaguid,
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
    }
  } catch (err) {
    throw err instanceof CeremonyRefused ? err : new CeremonyRefused(refusalReason(err))
  }
}

/**
 * An assertion: origin, RP ID, user presence and verification, and the signature with the stored
 * public key. The counter is returned, not compared (the library compares it before the signature,
 * so a forged assertion could raise a clone alarm): the caller's D1 batch moves it forward or refuses.
 */
export async function verifyAssertion(
  deps: Deps,
  credential: AuthenticationResponseJSON,
  stored: { credentialId: string; publicKey: string },
) {
  const rp = relyingParty(deps)
  let challenge = ''
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
  try {
    result = await verifyAuthenticationResponse({
      response: credential,
      expectedChallenge: (c) => {
        challenge = c
        return true
      },
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      credential: { id: stored.credentialId, publicKey: base64UrlToBytes(stored.publicKey), counter: 0 },
      requireUserVerification: true,
    })
  } catch (err) {
    throw new CeremonyRefused(refusalReason(err))
  }
  if (!result.verified) throw new CeremonyRefused('bad_signature')
  const info = result.authenticationInfo
  return { challenge, counter: info.newCounter, userVerified: info.userVerified, backedUp: info.credentialBackedUp }
}

function base64UrlToBytes(s: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(
    base64ToBytes(
      s
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(s.length / 4) * 4, '='),
    ),
  )
}
