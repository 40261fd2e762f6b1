import { decodeCBOR, decodeCBORToNativeValue, decodeCBORToNativeValueNoLeftoverBytes } from '@oslojs/cbor'
import { decodeBase64urlIgnorePadding } from '@oslojs/encoding'
import { createAssertionSignatureMessage, parseAuthenticatorData } from '@oslojs/webauthn'
import { bytesToBase64Url, bytesToHex } from '../../crypto/encoding'
import type { Deps } from '../../deps'
import { importCOSEKey, SUPPORTED_ALGORITHMS, type VerifyingKey, verifySignature } from './signature'
import { CHALLENGE_TTL_MS, relyingParty } from './webauthn'

// The one file that runs the WebAuthn ceremonies: options, and the two verifications with this
// deployment's RP ID and origins, on @oslojs/webauthn's parsers and WebCrypto (./signature.ts).
// test/integration/passkeys.test.ts and the browser check hold any change to the same behaviour.

type Transport = 'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb'
type Descriptor = { id: string; transports: Transport[] }
type DescriptorJSON = Descriptor & { type: 'public-key' }

interface CredentialJSON {
  id: string
  rawId: string
  type: 'public-key'
  authenticatorAttachment?: 'platform' | 'cross-platform' | undefined
  clientExtensionResults: Record<string, unknown>
}

/** A new credential's `toJSON()` (WebAuthn `RegistrationResponseJSON`). */
export interface RegistrationResponseJSON extends CredentialJSON {
  response: {
    clientDataJSON: string
    attestationObject: string
    authenticatorData?: string | undefined
    transports?: Transport[] | undefined
    publicKey?: string | undefined
    publicKeyAlgorithm?: number | undefined
  }
}

/** An assertion's `toJSON()` (WebAuthn `AuthenticationResponseJSON`). */
export interface AuthenticationResponseJSON extends CredentialJSON {
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string | undefined }
}

/** WebAuthn `PublicKeyCredentialCreationOptionsJSON`, as this service fills it. */
export interface CreationOptionsJSON {
  challenge: string
  rp: { name: string; id: string }
  user: { id: string; name: string; displayName: string }
  pubKeyCredParams: { alg: number; type: 'public-key' }[]
  timeout: number
  attestation: 'none'
  excludeCredentials: DescriptorJSON[]
  authenticatorSelection: { residentKey: 'required'; requireResidentKey: true; userVerification: 'preferred' }
  extensions: { credProps: true }
  hints: string[]
}

/** WebAuthn `PublicKeyCredentialRequestOptionsJSON`, as this service fills it. */
export interface RequestOptionsJSON {
  rpId: string
  challenge: string
  allowCredentials: DescriptorJSON[]
  timeout: number
  userVerification: 'required'
}

/** A ceremony refused, and why (a key of REASONS). */
export class CeremonyRefused extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

const asJSON = (list: Descriptor[]): DescriptorJSON[] => list.map((d) => ({ ...d, type: 'public-key' }))

/** Creation options: attestation `none`, a discoverable credential, UV preferred, the user's passkeys excluded. */
export async function creationOptions(
  deps: Deps,
  o: {
    challenge: Uint8Array<ArrayBuffer>
    user: { id: Uint8Array<ArrayBuffer>; name: string; displayName: string }
    exclude: Descriptor[]
  },
): Promise<CreationOptionsJSON> {
  const rp = relyingParty(deps)
  return {
    challenge: bytesToBase64Url(o.challenge),
    rp: { name: rp.name, id: rp.id },
    user: { id: bytesToBase64Url(o.user.id), name: o.user.name, displayName: o.user.displayName },
    pubKeyCredParams: SUPPORTED_ALGORITHMS.map((alg) => ({ alg, type: 'public-key' })),
    timeout: CHALLENGE_TTL_MS,
    attestation: 'none',
    // Their authenticators answer InvalidStateError instead of making a second credential.
    excludeCredentials: asJSON(o.exclude),
    // Discoverable (a passkey signs in without an identifier); the user verified when the authenticator can.
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    extensions: { credProps: true },
    hints: [],
  }
}

/** Request options; `required` user verification: a passkey sign-in has no second step. */
export async function requestOptions(
  deps: Deps,
  o: { challenge: Uint8Array<ArrayBuffer>; allow: Descriptor[] },
): Promise<RequestOptionsJSON> {
  return {
    rpId: relyingParty(deps).id,
    challenge: bytesToBase64Url(o.challenge),
    allowCredentials: asJSON(o.allow),
    timeout: CHALLENGE_TTL_MS,
    userVerification: 'required',
  }
}

const refuse = (reason: string): never => {
  throw new CeremonyRefused(reason)
}

/** Any failure of a check below that is not a named refusal is a malformed credential. */
async function refusing<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check()
  } catch (err) {
    throw err instanceof CeremonyRefused ? err : new CeremonyRefused('malformed_credential')
  }
}

/**
 * clientDataJSON: the ceremony's type and an allowed origin (web origins and Android
 * `android:apk-key-hash:` ones, exactly). Answers the challenge it carries, as it carries it
 * (base64url): the caller finds the stored challenge by it.
 */
function checkClientData(deps: Deps, bytes: Uint8Array, type: 'webauthn.create' | 'webauthn.get'): string {
  let data: Record<string, unknown>
  try {
    data = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return refuse('malformed_credential')
  }
  if (typeof data !== 'object' || data === null) refuse('malformed_credential')
  if (data.type !== type) refuse('wrong_ceremony')
  if (typeof data.challenge !== 'string' || data.challenge === '') refuse('challenge_mismatch')
  if (typeof data.origin !== 'string' || !relyingParty(deps).origins.includes(data.origin)) refuse('origin_not_allowed')
  // Token binding (gone from browsers): if there, a status WebAuthn defined.
  const binding = data.tokenBinding as { status?: unknown } | null | undefined
  if (binding && !['present', 'supported', 'not-supported', 'notSupported'].includes(String(binding.status))) {
    refuse('malformed_credential')
  }
  return data.challenge as string
}

const FLAG = { BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const

/**
 * Authenticator data: this RP ID's hash and user presence, the backup flags (BS without BE is
 * impossible), and nothing after its attested credential and extensions. Answers the attested
 * credential's COSE key bytes as they came, when there is one.
 */
function checkAuthenticatorData(deps: Deps, bytes: Uint8Array) {
  const data = parseAuthenticatorData(bytes)
  const flags = bytes[32] as number
  let at = 37
  let publicKey: Uint8Array | null = null
  if (flags & FLAG.AT) {
    at += 18 + (((bytes[53] as number) << 8) | (bytes[54] as number))
    const [, size] = decodeCBORToNativeValue(bytes.subarray(at), 4)
    publicKey = bytes.slice(at, at + size)
    at += size
  }
  if (flags & FLAG.ED) at += decodeCBOR(bytes.subarray(at), 16)[1]
  if (at !== bytes.length) refuse('malformed_credential') // leftover bytes
  if (!data.verifyRelyingPartyIdHash(relyingParty(deps).id)) refuse('rp_id_mismatch')
  if (!data.userPresent) refuse('user_presence_required')
  const backupEligible = (flags & FLAG.BE) !== 0
  const backedUp = (flags & FLAG.BS) !== 0
  if (backedUp && !backupEligible) refuse('malformed_credential')
  return { data, publicKey, backupEligible, backedUp }
}

const uuid = (b: Uint8Array) => bytesToHex(b).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')

/**
 * The attestation statement: `none` (what the creation options ask for), or `packed` self
 * attestation (kept by some browsers as it identifies nothing), signed by the new credential's own
 * key. Any other format, or attestation with a certificate, is refused: no attestation is trusted,
 * none is needed, and none is verified half-way.
 */
async function checkAttestation(
  fmt: unknown,
  statement: Record<string, unknown>,
  o: { key: VerifyingKey; authData: Uint8Array; clientDataJSON: Uint8Array },
) {
  if (fmt === 'none' && Object.keys(statement).length === 0) return
  if (fmt === 'packed' && !('x5c' in statement) && statement.alg === o.key.algorithm && statement.sig instanceof Uint8Array) {
    const signed = createAssertionSignatureMessage(o.authData, o.clientDataJSON)
    if (await verifySignature(o.key, statement.sig, signed)) return
  }
  refuse('malformed_credential')
}

/**
 * A new credential's attestation (`none` accepted; no attestation is trusted, none is needed),
 * origin, RP ID and user presence. The challenge it answers is returned, not checked: the caller's
 * D1 batch decides whether it is live, unused and the user's.
 */
export function verifyRegistration(deps: Deps, credential: RegistrationResponseJSON) {
  return refusing(async () => {
    if (!credential.id || credential.id !== credential.rawId) refuse('malformed_credential')
    const clientDataJSON = decodeBase64urlIgnorePadding(credential.response.clientDataJSON)
    const challenge = checkClientData(deps, clientDataJSON, 'webauthn.create')
    const object = decodeCBORToNativeValueNoLeftoverBytes(decodeBase64urlIgnorePadding(credential.response.attestationObject), 4)
    const { fmt, attStmt, authData } = object as Record<string, unknown>
    if (!(authData instanceof Uint8Array) || typeof attStmt !== 'object' || attStmt === null)
      return refuse('malformed_credential')
    const { data, publicKey, backupEligible, backedUp } = checkAuthenticatorData(deps, authData)
    if (!data.credential || !publicKey) return refuse('malformed_credential')
    // The id the client reports is the authenticator's (at most 1023 bytes, WebAuthn).
    const credentialId = bytesToBase64Url(data.credential.id)
    if (credentialId !== credential.id || data.credential.id.length > 1023) refuse('malformed_credential')
    const key = await importCOSEKey(publicKey)
    await checkAttestation(fmt, attStmt as Record<string, unknown>, { key, authData, clientDataJSON })
    return {
      challenge,
      credentialId,
      publicKey: bytesToBase64Url(publicKey),
      counter: data.signatureCounter,
      aaguid: uuid(data.credential.authenticatorAAGUID),
      backupEligible,
      backedUp,
    }
  })
}

/**
 * An assertion: origin, RP ID, user presence and verification, and the signature with the stored
 * public key over authenticatorData || SHA-256(clientDataJSON). The counter is returned, not
 * compared: the caller's D1 batch moves it forward or refuses (after the signature verified, so a
 * forged assertion cannot raise a clone alarm). `stored.userVerification: 'optional'` (a passkey as
 * the second factor of a sign-in, SPEC §14) accepts an assertion without user verification; user
 * presence is always required.
 */
export function verifyAssertion(
  deps: Deps,
  credential: AuthenticationResponseJSON,
  stored: { credentialId: string; publicKey: string; userVerification?: 'required' | 'optional' },
) {
  return refusing(async () => {
    if (!credential.id || credential.id !== credential.rawId) refuse('malformed_credential')
    const clientDataJSON = decodeBase64urlIgnorePadding(credential.response.clientDataJSON)
    const challenge = checkClientData(deps, clientDataJSON, 'webauthn.get')
    const authData = decodeBase64urlIgnorePadding(credential.response.authenticatorData)
    const { data, backedUp } = checkAuthenticatorData(deps, authData)
    if (!data.userVerified && stored.userVerification !== 'optional') refuse('user_verification_required')
    const key = await importCOSEKey(decodeBase64urlIgnorePadding(stored.publicKey))
    const signature = decodeBase64urlIgnorePadding(credential.response.signature)
    if (!(await verifySignature(key, signature, createAssertionSignatureMessage(authData, clientDataJSON)))) {
      refuse('bad_signature')
    }
    return { challenge, counter: data.signatureCounter, userVerified: data.userVerified, backedUp }
  })
}
