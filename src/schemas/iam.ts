import { z } from '@hono/zod-openapi'
import { POOL_ID } from '../config'
import { PERMISSION } from '../services/iam'
import { EmailField, LocaleField, NameField, PasswordField, PhoneField, UsernameField } from './fields'
import { UserResponse } from './user'

const Limit = z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 })

export const PageQuery = z.object({
  limit: Limit,
  // A page's `next_cursor` is the id (a UUIDv7) of its last item; anything else is a client error.
  cursor: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'Must be a next_cursor from a previous page')
    .optional(),
})

/**
 * What an account id may be: ours are UUIDv7, but `npm run import-users` keeps another service's
 * ids (`42`, a MongoDB ObjectId) so the `sub` other services stored still names the same person.
 */
export const USER_ID = /^[A-Za-z0-9._~:-]{1,64}$/

/** Lists of accounts page by their ids, which need not be UUIDs (imported accounts keep theirs). */
export const UserPageQuery = z.object({
  limit: Limit,
  cursor: z.string().regex(USER_ID, 'Must be a next_cursor from a previous page').optional(),
})

/** Devices page by their own ids (`device_id`, chosen by the client), not by a UUID. */
export const DevicePageQuery = z.object({
  limit: Limit,
  cursor: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w.:-]+$/, 'Must be a next_cursor from a previous page')
    .optional(),
})

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name)

export const UserList = listOf(UserResponse, 'UserList')

export const StaffBody = z
  .strictObject({
    username: UsernameField,
    password: PasswordField,
    phone: PhoneField.optional(),
    email: EmailField.optional(),
    name: NameField.optional(),
  })
  .openapi('StaffBody')

export const SubclientBody = StaffBody.extend({ client_id: z.string().max(64).optional() }).openapi('SubclientBody')

export const SubclientQuery = UserPageQuery.extend({ client_id: z.string().max(64).optional() })

export const UsersQuery = UserPageQuery.extend({
  pool: z
    .string()
    .regex(POOL_ID)
    .optional()
    .openapi({ description: "One user pool's users (SPEC §12); every pool's when absent. An unknown pool: 404" }),
  role: z.string().max(32).optional(),
  status: z.enum(['pending', 'active', 'deactivated', 'suspended']).optional(),
  q: z.string().trim().min(1).max(100).optional(),
})

export const IdParam = z.object({ id: z.string().min(1).max(64) })

export const AdminPatchBody = z
  .strictObject({
    name: NameField.nullable().optional(),
    surname: NameField.nullable().optional(),
    email: EmailField.nullable().optional(),
    phone: PhoneField.nullable().optional(),
    role: z.string().max(32).optional(),
    locale: LocaleField.nullable()
      .optional()
      .openapi({ description: "The user's language for SMS and emails: one of LOCALES (else 400); null: DEFAULT_LOCALE" }),
  })
  .openapi('AdminPatchBody')

const Permission = z.string().regex(PERMISSION, 'Use resource:action, resource:* or *').openapi({ example: 'places:read' })

export const PolicyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().max(500).optional(),
    permissions: z.array(Permission).min(1).max(100),
  })
  .openapi('PolicyBody')

export const PolicyPatchBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().max(500).nullable().optional(),
    permissions: z.array(Permission).min(1).max(100).optional(),
  })
  .openapi('PolicyPatchBody')

export const PolicyResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    permissions: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Policy')
export const PolicyList = listOf(PolicyResponse, 'PolicyList')

export const AssignPoliciesBody = z
  .strictObject({ policy_ids: z.array(z.string().max(64)).max(50) })
  .openapi('AssignPoliciesBody')
export const AssignPoliciesResponse = z
  .object({ policies: z.array(PolicyResponse), permissions: z.array(z.string()) })
  .openapi('AssignedPolicies')

export const RoleParam = z.object({
  role: z.string().min(1).max(32).openapi({ example: 'particulier', description: 'A staff role or one of END_USER_ROLES' }),
})
export const RolePoliciesBody = z.strictObject({ policy_ids: z.array(z.string().max(64)).max(50) }).openapi('RolePoliciesBody')
export const RolePoliciesResponse = z
  .object({
    role: z.string(),
    policies: z.array(PolicyResponse),
    permissions: z.array(z.string()).openapi({ description: 'The union of the policies’ permissions' }),
  })
  .openapi('RolePolicies')

export const SetPasswordBody = z.strictObject({ new_password: PasswordField }).openapi('SetPasswordBody')

/** DELETE /users/{id}/mfa (SPEC §14): the body is optional; without it, passkeys stay. */
export const MfaResetBody = z
  .strictObject({
    passkeys: z.boolean().optional().openapi({
      description: 'Also delete every passkey of the user (default false: TOTP and its recovery codes only)',
      example: false,
    }),
  })
  .openapi('MfaResetBody')

export const PlaceBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(['ev_charger', 'swap_station']),
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    address: z.string().trim().max(300).optional(),
  })
  .openapi('PlaceBody')

export const PlaceResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['ev_charger', 'swap_station']),
    lat: z.number(),
    lng: z.number(),
    address: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Place')
export const PlaceList = listOf(PlaceResponse, 'PlaceList')

export const AuditQuery = PageQuery.extend({ user_id: z.string().max(64).optional(), type: z.string().max(64).optional() })
export const AuditEventResponse = z
  .object({
    id: z.string(),
    at: z.string(),
    type: z.string(),
    actor_id: z.string().nullable(),
    subject_id: z.string().nullable(),
    pool: z.string().openapi({ description: 'The pool of the account the event is about (SPEC §12)' }),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('AuditEvent')
export const AuditList = listOf(AuditEventResponse, 'AuditList')
