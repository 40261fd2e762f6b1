import { z } from '@hono/zod-openapi'
import { CodeField, EmailField, LocaleField, NameField, PasswordField, PhoneField, TurnstileTokenField } from './fields'
import { PageQuery } from './iam'

export const PatchMeBody = z
  .strictObject({
    name: NameField.nullable().optional(),
    surname: NameField.nullable().optional(),
    email: EmailField.optional().openapi({ description: 'Held as pending until confirmed with the code or link sent to it' }),
    phone: PhoneField.optional().openapi({ description: 'Held as pending until confirmed at POST /me/phone/verify' }),
    current_password: PasswordField.optional().openapi({ description: 'Required to change the email or phone' }),
    locale: LocaleField.nullable()
      .optional()
      .openapi({ description: 'The language of your SMS and emails: one of LOCALES (else 400); null: DEFAULT_LOCALE' }),
    turnstile_token: TurnstileTokenField.optional().openapi({
      description: 'Required to change the email or phone when TURNSTILE_SECRET_KEY is set (SPEC §5)',
    }),
  })
  .openapi('PatchMeBody')

export const PhoneCodeBody = z.strictObject({ code: CodeField }).openapi('PhoneCodeBody')

export const DeleteMeBody = z.strictObject({ password: PasswordField }).openapi('DeleteMeBody')

export const SessionResponse = z
  .object({
    id: z.string(),
    created_at: z.string(),
    last_used_at: z.string(),
    expires_at: z.string(),
    ended_at: z
      .string()
      .nullable()
      .openapi({ description: 'When it was revoked (or expired, if that came first); null while it lives' }),
    user_agent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi('Session')

export const SessionsQuery = PageQuery.extend({
  include: z
    .enum(['ended'])
    .optional()
    .openapi({ description: '`ended`: also the sessions that ended in the last 30 days (revoked or expired), with `ended_at`' }),
})

export const SessionList = z
  .object({ items: z.array(SessionResponse), next_cursor: z.string().nullable() })
  .openapi('SessionList')

export const DeviceBody = z
  .strictObject({
    device_id: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .regex(/^[\w.:-]+$/, 'Use letters, digits and . _ : -'),
    type: z.string().trim().min(1).max(64),
  })
  .openapi('DeviceBody')

export const SessionIdParam = z.object({ id: z.string().min(1).max(64) })
export const DeviceIdParam = z.object({ device_id: z.string().min(1).max(128) })
