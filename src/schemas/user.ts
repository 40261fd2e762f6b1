import { z } from '@hono/zod-openapi'

export const DeviceResponse = z.object({ device_id: z.string(), type: z.string(), registered_at: z.string() }).openapi('Device')

export const UserResponse = z
  .object({
    id: z.string(),
    pool: z.string().openapi({ example: 'default', description: 'The user pool the account belongs to (SPEC §12)' }),
    name: z.string().nullable(),
    surname: z.string().nullable(),
    phone: z.string().nullable().openapi({ example: '+21698765432' }),
    email: z.string().nullable(),
    username: z.string().nullable(),
    role: z.string().openapi({ example: 'particulier' }),
    status: z.enum(['pending', 'active', 'deactivated', 'suspended']),
    is_verified: z.boolean(),
    phone_verified: z.boolean(),
    email_verified: z.boolean(),
    pending_email: z.string().nullable().openapi({ description: 'A new email awaiting confirmation (SPEC §6.2)' }),
    pending_phone: z.string().nullable().openapi({ description: 'A new phone awaiting confirmation (SPEC §6.2)' }),
    parent_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    last_login: z.string().nullable(),
    locale: z.string().nullable().openapi({
      example: 'fr',
      description:
        "The account's chosen language (SPEC §15: set at sign-up, changed by PATCH /me); its SMS and emails use it while LOCALES has it, else DEFAULT_LOCALE. Null: none chosen (an account made by staff or imported), DEFAULT_LOCALE",
    }),
    devices: z.array(DeviceResponse),
  })
  .openapi('User')

export const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('bearer'),
    expires_in: z.number().int().openapi({ example: 900 }),
    refresh_token: z.string(),
    user: UserResponse,
  })
  .openapi('TokenResponse')

export const DeviceList = z.object({ items: z.array(DeviceResponse), next_cursor: z.string().nullable() }).openapi('DeviceList')
