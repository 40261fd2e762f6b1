import { bytesToBase64Url } from '../../crypto/encoding'
import { hmacSha256, sha256Hex } from '../../crypto/hash'
import type { Deps } from '../../deps'
import type { PasskeyRow } from '../../storage/db/schema'
import type { NewChallenge } from '../../storage/repos/passkeys'
import { MINUTE_MS } from '../../time'

/** SPEC §14: a WebAuthn challenge lives 5 minutes; the browser's ceremony timeout says the same. */
export const CHALLENGE_TTL_MS = 5 * MINUTE_MS

/** A fresh challenge (256 random bits; the options carry them base64url) and its stored form. */
export async function newChallenge(deps: Deps): Promise<{ bytes: Uint8Array<ArrayBuffer>; row: NewChallenge }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return { bytes, row: { id: await challengeId(bytesToBase64Url(bytes)), expiresAt: deps.now() + CHALLENGE_TTL_MS } }
}

/** How a challenge is stored and found again: SHA-256 (hex) of its base64url text, as clientDataJSON carries it. */
export const challengeId = (challenge: string) => sha256Hex(challenge)

/** Who the ceremonies are for: the RP ID and the origins they may come from (config), and the pool's name. */
export function relyingParty(deps: Deps) {
  return { id: deps.config.WEBAUTHN_RP_ID, origins: deps.config.WEBAUTHN_ORIGINS, name: deps.config.APP_NAME }
}

/**
 * The WebAuthn user handle of an account: SHA-256 of its id (32 bytes). Deterministic, so every
 * passkey of an account carries the same handle (an authenticator replaces its old credential
 * for it), fixed-length whatever the id (imported ids may be long), and no personal data.
 */
export async function userHandle(userId: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(userId)))
}

/** The transports a stored passkey is offered with (only the values WebAuthn defines). */
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])
type Transport = 'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb'
export const knownTransports = (list: readonly string[]): Transport[] => list.filter((t): t is Transport => TRANSPORTS.has(t))

/** A stored passkey as an `allowCredentials` / `excludeCredentials` entry. */
export const descriptorOf = (p: Pick<PasskeyRow, 'credentialId' | 'transports'>) => ({
  id: p.credentialId,
  transports: knownTransports(p.transports),
})

/**
 * The stand-in `allowCredentials` entry of an identifier whose account has no passkey, or no
 * account at all (no enumeration): a credential id derived from OTP_PEPPER, the pool and the
 * identifier, so asking twice gives the same one, like a real passkey's. No authenticator holds it:
 * the browser finds no credential, as it would for a passkey deleted on the device.
 */
export async function decoyDescriptor(deps: Deps, identifier: string) {
  const mac = await hmacSha256(deps.config.OTP_PEPPER, `passkey-decoy|${deps.pool.id}|${identifier}`)
  return { id: bytesToBase64Url(mac.slice(0, 16)), transports: ['hybrid', 'internal'] as Transport[] }
}

/** The API's view of a passkey: no key material. */
export function toPasskeyView(p: PasskeyRow) {
  return {
    id: p.id,
    name: p.name,
    credential_id: p.credentialId,
    transports: p.transports,
    aaguid: p.aaguid,
    // A synced passkey (iCloud Keychain, Google Password Manager…): it survives the loss of one device.
    backup_eligible: p.backupEligible,
    backed_up: p.backedUp,
    created_at: new Date(p.createdAt).toISOString(),
    last_used_at: p.lastUsedAt === null ? null : new Date(p.lastUsedAt).toISOString(),
  }
}

export type PasskeyView = ReturnType<typeof toPasskeyView>

/** Words for each refusal reason. */
export const REASONS: Record<string, string> = {
  origin_not_allowed: 'the ceremony came from an origin that is not allowed (WEBAUTHN_ORIGINS)',
  rp_id_mismatch: 'the credential is scoped to another relying party (WEBAUTHN_RP_ID)',
  user_verification_required: 'the authenticator did not verify the user (PIN or biometrics)',
  user_presence_required: 'the authenticator did not test user presence',
  challenge_mismatch: 'the response answers another challenge',
  wrong_ceremony: 'the response is of the other ceremony',
  malformed_credential: 'the credential could not be parsed or its signature or attestation is invalid',
  bad_signature: 'the signature does not verify with the registered public key',
  challenge_unknown: 'the challenge is unknown, expired or already used: ask for new options',
  unknown_credential: 'no passkey with this credential id is registered here',
  user_handle_mismatch: 'the user handle is not the passkey owner’s',
  counter_not_increased: 'the signature counter did not increase: a cloned authenticator is suspected',
}
