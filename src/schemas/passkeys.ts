import { z } from '@hono/zod-openapi'
import { EmailField, PhoneField, UsernameField } from './fields'

// SPEC §14. A credential is what the browser's `PublicKeyCredential.toJSON()` gives: its known
// members are checked here (base64url strings of bounded length), and members a browser adds
// (new extensions' outputs) are dropped rather than refused, unlike the strict bodies around it.
const b64url = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url')
    .max(max)
const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const
type Transport = (typeof TRANSPORTS)[number]
const CredentialId = b64url(1400) // 1023 bytes at most (WebAuthn)
const common = {
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: z
    .enum(['platform', 'cross-platform'])
    .nullish()
    .transform((v) => v ?? undefined),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
}

export const RegistrationCredential = z
  .object({
    ...common,
    response: z.object({
      clientDataJSON: b64url(4096),
      attestationObject: b64url(16384),
      // Values WebAuthn does not define (yet) are dropped.
      transports: z
        .array(z.string().max(32))
        .max(10)
        .optional()
        .transform((list) => list?.filter((t): t is Transport => (TRANSPORTS as readonly string[]).includes(t))),
      authenticatorData: b64url(4096).optional(),
      publicKey: b64url(4096).optional(),
      publicKeyAlgorithm: z.number().int().optional(),
    }),
  })
  .openapi('PasskeyRegistrationCredential', { description: 'The new credential’s `toJSON()`' })

export const AuthenticationCredential = z
  .object({
    ...common,
    response: z.object({
      clientDataJSON: b64url(4096),
      authenticatorData: b64url(4096),
      signature: b64url(1024),
      userHandle: b64url(128)
        .nullish()
        .transform((v) => v ?? undefined),
    }),
  })
  .openapi('PasskeyAuthenticationCredential', { description: 'The assertion’s `toJSON()`' })

const PasskeyName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refuses control characters
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'No control characters')
  .openapi({ example: 'Pixel 9' })

export const AddPasskeyBody = z
  .strictObject({ credential: RegistrationCredential, name: PasskeyName.optional() })
  .openapi('AddPasskeyBody')

export const RenamePasskeyBody = z.strictObject({ name: PasskeyName }).openapi('RenamePasskeyBody')

export const PasskeyIdParam = z.object({ id: z.string().min(1).max(64) })

export const PasskeySignInOptionsBody = z
  .strictObject({ phone: PhoneField.optional(), email: EmailField.optional(), username: UsernameField.optional() })
  .refine((b) => [b.phone, b.email, b.username].filter((v) => v !== undefined).length <= 1, {
    message: 'Give at most one of phone, email or username',
    path: ['phone'],
  })
  .openapi('PasskeySignInOptionsBody')

export const PasskeyVerifyBody = z.strictObject({ credential: AuthenticationCredential }).openapi('PasskeyVerifyBody')

export const Passkey = z
  .object({
    id: z.string(),
    name: z.string(),
    credential_id: z.string(),
    transports: z.array(z.string()),
    aaguid: z.string().nullable(),
    backup_eligible: z.boolean(),
    backed_up: z.boolean(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .openapi('Passkey')

export const PasskeyList = z.object({ items: z.array(Passkey), next_cursor: z.null() }).openapi('PasskeyList')

export const CreationOptions = z
  .looseObject({ challenge: z.string(), rp: z.looseObject({ name: z.string() }) })
  .openapi('PasskeyCreationOptions', {
    description:
      'WebAuthn `PublicKeyCredentialCreationOptionsJSON`: pass it to `PublicKeyCredential.parseCreationOptionsFromJSON`',
  })

export const RequestOptions = z.looseObject({ challenge: z.string() }).openapi('PasskeyRequestOptions', {
  description: 'WebAuthn `PublicKeyCredentialRequestOptionsJSON`: pass it to `PublicKeyCredential.parseRequestOptionsFromJSON`',
})
