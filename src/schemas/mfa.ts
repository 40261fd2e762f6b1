import { z } from '@hono/zod-openapi'
import { PasswordField } from './fields'
import { AuthenticationCredential } from './passkeys'

// SPEC §14: TOTP enrolment, turning it off, and the second step of a sign-in.

const TotpCode = z
  .string()
  .regex(/^\d{6}$/, 'Must be the 6 digits of the authenticator')
  .openapi({ example: '123456', description: 'The 6-digit code the authenticator app shows now' })
const RecoveryCode = z
  .string()
  .min(10)
  .max(32)
  .regex(/^[A-Za-z0-9 -]+$/, 'Must be a recovery code')
  .openapi({ example: 'k3mzq-8c2wd', description: 'One of the recovery codes given on enrolment; each works once' })

export const TotpEnrolment = z
  .object({
    secret: z.string().openapi({ description: 'Base32 secret (160 bits), for typing into an authenticator app' }),
    otpauth_uri: z.string().openapi({
      example: 'otpauth://totp/edge-auth:%2B21698765432?issuer=edge-auth&algorithm=SHA1&secret=…&period=30&digits=6',
    }),
    qr_svg: z.string().openapi({ description: 'The otpauth URI as a QR code, an SVG document' }),
  })
  .openapi('TotpEnrolment')

export const TotpConfirmBody = z.strictObject({ code: TotpCode }).openapi('TotpConfirmBody')

export const RecoveryCodes = z
  .object({
    recovery_codes: z
      .array(z.string())
      .length(10)
      .openapi({ description: 'Shown once: each signs in once in place of a TOTP code' }),
  })
  .openapi('RecoveryCodes')

const exactlyOne = (b: { code?: unknown; recovery_code?: unknown; totp?: unknown; passkey?: unknown }, keys: string[]) =>
  keys.filter((k) => b[k as keyof typeof b] !== undefined).length === 1

export const TotpDisableBody = z
  .strictObject({
    code: TotpCode.optional(),
    recovery_code: RecoveryCode.optional(),
    current_password: PasswordField.optional().openapi({ description: 'Required when the account has a password' }),
  })
  .refine((b) => exactlyOne(b, ['code', 'recovery_code']), { message: 'Send code or recovery_code', path: ['code'] })
  .openapi('TotpDisableBody')

export const MfaStatus = z
  .object({
    totp: z.enum(['off', 'pending', 'on']),
    recovery_codes_left: z.number().int(),
  })
  .openapi('MfaStatus')

export const MfaVerifyBody = z
  .strictObject({
    mfa_token: z.string().min(1).max(128),
    totp: TotpCode.optional(),
    recovery_code: RecoveryCode.optional(),
    passkey: AuthenticationCredential.optional().openapi({
      description:
        'A WebAuthn assertion (`toJSON()`) for request options from POST /auth/passkey/options with the same identifier; user verification not required',
    }),
  })
  .refine((b) => exactlyOne(b, ['totp', 'recovery_code', 'passkey']), {
    message: 'Send one of totp, recovery_code, passkey',
    path: ['totp'],
  })
  .openapi('MfaVerifyBody')
