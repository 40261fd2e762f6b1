import { z } from '@hono/zod-openapi'
import { SUPPORTED_LOCALES } from '../config'
import { ERRORS, type ErrorCode } from '../errors'
import { PASSWORD_MAX_LENGTH } from '../services/passwords'

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export const PhoneField = z
  .string()
  .min(1)
  .max(40)
  .openapi({ example: '+216 98 765 432', description: 'Any common format; stored as E.164' })
export const EmailField = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'Must be a valid email address' }))
  .openapi({ example: 'ahmed@example.tn' })
export const UsernameField = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9._-]+$/, 'Use 3–32 of a-z 0-9 . _ -')
  .openapi({ example: 'root' })
export const NameField = z
  .string()
  .trim()
  .min(2, 'Must be 2–100 characters')
  .max(100, 'Must be 2–100 characters')
  .refine((s) => !CONTROL.test(s), 'Must not contain control characters')
  .openapi({ example: 'Ahmed' })
/** Length in characters (code points), checked before any hashing; the policy does the rest. */
export const PasswordField = z
  .string()
  .min(1)
  .max(PASSWORD_MAX_LENGTH * 4)
  .refine((s) => [...s].length <= PASSWORD_MAX_LENGTH, `Must be at most ${PASSWORD_MAX_LENGTH} characters`)
  // Documented in characters: the 4× bound above is in UTF-16 units, before the count.
  .openapi({ example: 'SecurePass123', format: 'password', maxLength: PASSWORD_MAX_LENGTH })
export const CodeField = z
  .string()
  .regex(/^\d{4,10}$/, 'Must be the digits of the code')
  .openapi({ example: '123456' })

/** SPEC §5: a Cloudflare Turnstile widget token; required where it says so when TURNSTILE_SECRET_KEY is set. */
export const TurnstileTokenField = z
  .string()
  .min(1)
  .max(2048)
  .openapi({
    description:
      'Cloudflare Turnstile token. With TURNSTILE_SECRET_KEY set, required on endpoints that send a code or a link ' +
      '(missing or refused: 400 turnstile_failed); on a password login, a valid one passes a per-identifier lockout.',
  })

/** SPEC §15: an account's language; the deployment's LOCALES (a subset of these) limits it further (400 otherwise). */
export const LocaleField = z.enum(SUPPORTED_LOCALES, { message: `Must be one of: ${SUPPORTED_LOCALES.join(', ')}` }).openapi({
  example: 'fr',
  description: "The account's language for its SMS and emails: one of the deployment's LOCALES (en, fr, ar by default)",
})

export const MessageResponse = z.object({ message: z.string(), detail: z.string() }).openapi('Message')

export const ErrorResponse = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    error: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]).openapi({ description: 'Stable machine code (SPEC §9)' }),
    detail: z.string(),
    fields: z.record(z.string(), z.string()).optional(),
    mfa_token: z.string().optional().openapi({
      description:
        '403 mfa_required of a sign-in: send it to POST /auth/mfa/verify with a second factor (5 minutes, single use, 5 attempts)',
    }),
    methods: z
      .array(z.enum(['totp', 'recovery_code', 'passkey']))
      .optional()
      .openapi({ description: '403 mfa_required of a sign-in: the second factors this account has' }),
    expires_in: z
      .number()
      .int()
      .optional()
      .openapi({ description: "403 mfa_required of a sign-in: the mfa_token's lifetime in seconds" }),
    request_id: z.string(),
  })
  .openapi('Error')

/** Documents the error answers of a route, all with the one error body. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: 'Error', content: { 'application/problem+json': { schema: ErrorResponse } } }]),
  )
}

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
})

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

/** Bearer access token, obtainable on the reference page through the OAuth 2.0 password grant. */
export const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { oauth2: [] }]
