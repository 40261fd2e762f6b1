export type { AuthenticationResponseJSON, CreationOptionsJSON, RegistrationResponseJSON, RequestOptionsJSON } from './ceremony'
export { CeremonyRefused, requestOptions, verifyAssertion } from './ceremony'
export { addPasskey, listPasskeys, MAX_PASSKEYS, passkeyCreationOptions, removePasskey, renamePasskey } from './enrol'
export type { PasskeyView } from './webauthn'
export {
  CHALLENGE_TTL_MS,
  challengeId,
  decoyDescriptor,
  descriptorOf,
  newChallenge,
  REASONS,
  relyingParty,
  toPasskeyView,
  userHandle,
} from './webauthn'
