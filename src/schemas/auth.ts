import { z } from '@hono/zod-openapi'
import { PASSWORD_MAX_LENGTH } from '../services/passwords'
import {
  CodeField,
  EmailField,
  LocaleField,
  NameField,
  PasswordField,
  PhoneField,
  TurnstileTokenField,
  UsernameField,
} from './fields'

/** A sign-up's language: this, else the best of Accept-Language that LOCALES has, else DEFAULT_LOCALE (SPEC §15). */
const SignUpLocale = LocaleField.optional().openapi({
  example: 'fr',
  description:
    "The new account's language (its SMS and emails): one of LOCALES, else 400; left out, the best of Accept-Language that LOCALES has, else DEFAULT_LOCALE",
})

const exactlyOne = (keys: string[]) => (o: Record<string, unknown>) => keys.filter((k) => o[k] !== undefined).length === 1
const oneOf = { message: 'Give exactly one of phone or email', path: ['phone'] }

export const RegisterBody = z
  .strictObject({
    name: NameField.optional(),
    surname: NameField.optional(),
    phone: PhoneField.optional(),
    email: EmailField.optional(),
    password: PasswordField,
    role: z.string().max(32).optional().openapi({ example: 'particulier' }),
    locale: SignUpLocale,
    turnstile_token: TurnstileTokenField.optional(),
  })
  .refine((b) => b.phone !== undefined || b.email !== undefined, { message: 'Give a phone or an email', path: ['phone'] })
  .openapi('RegisterBody')

export const RegisterResponse = z
  .object({ message: z.string(), detail: z.string(), channel: z.enum(['sms', 'email']), expires_in: z.number().int() })
  .openapi('RegisterResponse')

export const VerifyBody = z
  .strictObject({
    phone: PhoneField.optional(),
    email: EmailField.optional(),
    code: CodeField,
    locale: SignUpLocale.openapi({
      description:
        'With OTP_SIGNUP, the language of the account this code creates (else Accept-Language, else DEFAULT_LOCALE); one of LOCALES, else 400',
    }),
  })
  .refine(exactlyOne(['phone', 'email']), oneOf)
  .openapi('VerifyBody')

export const LoginBody = z
  .strictObject({
    phone: PhoneField.optional(),
    email: EmailField.optional(),
    username: UsernameField.optional(),
    password: PasswordField.optional(),
    use_otp: z.boolean().optional(),
    locale: SignUpLocale.openapi({
      description:
        "With use_otp: the text's language for a phone no account holds (OTP_SIGNUP; else Accept-Language, else DEFAULT_LOCALE); an account's code comes in the account's language. One of LOCALES, else 400",
    }),
    turnstile_token: TurnstileTokenField.optional(),
  })
  .superRefine((b, ctx) => {
    if (!exactlyOne(['phone', 'email', 'username'])(b)) {
      ctx.addIssue({ code: 'custom', path: ['phone'], message: 'Give exactly one of phone, email or username' })
    }
    if (b.use_otp === true) {
      if (b.password !== undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'Not allowed with use_otp' })
      if (b.username !== undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'Codes go to a phone or email' })
    } else {
      if (b.password === undefined)
        ctx.addIssue({ code: 'custom', path: ['password'], message: 'Required (or set use_otp: true)' })
      if (b.locale !== undefined) ctx.addIssue({ code: 'custom', path: ['locale'], message: 'Only with use_otp' })
    }
  })
  .openapi('LoginBody')

export const IdentifierBody = z
  .strictObject({ phone: PhoneField.optional(), email: EmailField.optional(), turnstile_token: TurnstileTokenField.optional() })
  .refine(exactlyOne(['phone', 'email']), oneOf)
  .openapi('ResetPasswordBody')

export const ConfirmResetBody = z
  .strictObject({ phone: PhoneField.optional(), email: EmailField.optional(), code: CodeField, new_password: PasswordField })
  .refine(exactlyOne(['phone', 'email']), oneOf)
  .openapi('ConfirmResetBody')

export const ChangePasswordBody = z
  .strictObject({ old_password: PasswordField, new_password: PasswordField })
  .openapi('ChangePasswordBody')

/** The body of an endpoint that takes nothing but the bot check (a verify-request). */
export const TurnstileOnlyBody = z.strictObject({ turnstile_token: TurnstileTokenField.optional() }).openapi('TurnstileOnlyBody')

export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(512) }).openapi('RefreshBody')

export const OAuthTokenForm = z
  .object({
    grant_type: z.enum(['password', 'refresh_token']).optional().openapi({
      description:
        'Required by RFC 6749. Left out (or empty) with `username` and `password` given, the request is the password grant (SPEC §13: FastAPI OAuth2PasswordRequestForm clients); left out otherwise: 400 invalid_request',
    }),
    username: z.string().optional().openapi({ description: 'phone, email or username (password grant)' }),
    password: z.string().max(PASSWORD_MAX_LENGTH).optional().openapi({ description: 'password grant' }),
    refresh_token: z.string().optional(),
    scope: z.string().optional(),
    client_id: z.string().optional().openapi({ description: 'A public client may name itself; accepted and not checked' }),
    client_secret: z.string().optional().openapi({
      description:
        'No confidential clients are registered: any value is 401 invalid_client (as is HTTP Basic client authentication)',
    }),
  })
  .openapi('OAuthTokenForm')

export const OAuthTokenResponse = z
  .object({ access_token: z.string(), token_type: z.literal('bearer'), expires_in: z.number().int(), refresh_token: z.string() })
  .openapi('OAuthTokenResponse')

export const OAuthErrorResponse = z
  .object({
    error: z
      .enum([
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'slow_down',
        'server_error',
        'temporarily_unavailable',
        'mfa_required',
      ])
      .openapi({
        description:
          'RFC 6749 §5.2; slow_down (RFC 8628) with 429, server_error with 500, temporarily_unavailable with 503; mfa_required (SPEC §14) with 403 and mfa_token',
      }),
    error_description: z.string(),
    mfa_token: z.string().optional().openapi({ description: 'mfa_required (403): send it to POST /auth/mfa/verify' }),
    methods: z.array(z.string()).optional(),
    expires_in: z.number().int().optional(),
  })
  .openapi('OAuthError')
