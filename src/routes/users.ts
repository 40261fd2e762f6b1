import { requireAuth, requireLiveSession } from '../middleware/auth'
import { requireMfaForRole } from '../middleware/permissions'
import { errorResponses, jsonBody, jsonContent, MessageResponse } from '../schemas/fields'
import {
  AdminPatchBody,
  AssignPoliciesBody,
  AssignPoliciesResponse,
  IdParam,
  MfaResetBody,
  SetPasswordBody,
  UserList,
  UsersQuery,
} from '../schemas/iam'
import { UserResponse } from '../schemas/user'
import {
  assignPolicies,
  deleteUser,
  getUser,
  listUsers,
  patchUser,
  resetUserMfa,
  setStatus,
  setUserPassword,
} from '../services/iam'
import { actorOf, clientInfo, newRouter, routesOf } from './router'

const tags = ['users']
const { signedIn } = routesOf(tags)

/**
 * User administration (SPEC §6.4): admins and super admins, and clients for their own sub-clients
 * (SPEC §13); hierarchy rules in the services.
 */
const router = newRouter()
router.use('*', requireAuth, requireMfaForRole, requireLiveSession)

/** Chained, so `hono/client` sees the routes' types. */
export const users = router
  .openapi(
    signedIn('get', '/', {
      summary: 'List users, filtered and searched (admin or above)',
      request: { query: UsersQuery },
      responses: { 200: jsonContent(UserList, 'Users, newest first'), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await listUsers(c.var.deps, actorOf(c), c.req.valid('query')), 200),
  )
  .openapi(
    signedIn('get', '/{id}', {
      summary: 'Read a user (yourself, or someone you manage)',
      request: { params: IdParam },
      responses: { 200: jsonContent(UserResponse, 'The user'), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getUser(c.var.deps, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    signedIn('patch', '/{id}', {
      summary: 'Edit a user below you (a client: its own sub-clients, not their role); a role change ends their sessions',
      request: { params: IdParam, body: jsonBody(AdminPatchBody) },
      responses: { 200: jsonContent(UserResponse, 'The user'), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) =>
      c.json(
        await patchUser(c.var.deps, actorOf(c), {
          id: c.req.valid('param').id,
          patch: c.req.valid('json'),
          client: clientInfo(c),
        }),
        200,
      ),
  )
  .openapi(
    signedIn('delete', '/{id}', {
      summary: 'Delete a user below you (a client: its own sub-clients)',
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await deleteUser(c.var.deps, actorOf(c), { id: c.req.valid('param').id, client: clientInfo(c) })
      return c.body(null, 204)
    },
  )
  .openapi(
    signedIn('put', '/{id}/policies', {
      summary: "Replace a client's or sub-client's policies",
      request: { params: IdParam, body: jsonBody(AssignPoliciesBody) },
      responses: {
        200: jsonContent(AssignPoliciesResponse, 'Policies and resulting permissions'),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        await assignPolicies(c.var.deps, actorOf(c), {
          userId: c.req.valid('param').id,
          policyIds: c.req.valid('json').policy_ids,
          client: clientInfo(c),
        }),
        200,
      ),
  )
  .openapi(
    signedIn('post', '/{id}/password', {
      summary: 'Set a new password for staff below you (a client: its own sub-clients); every session of theirs ends',
      request: { params: IdParam, body: jsonBody(SetPasswordBody) },
      responses: {
        200: jsonContent(MessageResponse, 'Password set'),
        ...errorResponses(400, 401, 403, 404, 413, 415),
      },
    }),
    async (c) => {
      await setUserPassword(c.var.deps, actorOf(c), {
        id: c.req.valid('param').id,
        newPassword: c.req.valid('json').new_password,
        client: clientInfo(c),
      })
      return c.json({ message: 'Password set', detail: 'Every session of the account has been signed out' }, 200)
    },
  )
  .openapi(
    signedIn('delete', '/{id}/mfa', {
      summary:
        'Reset the two-step verification of a user below you (a client: its own sub-clients): TOTP off, its recovery codes gone, and with passkeys: true every passkey; every session ends',
      description:
        'For a user who lost both the authenticator app and the recovery codes. The same hierarchy as POST /users/{id}/password, ' +
        'end users included. The body is optional. The user is told by verified email (else by SMS to a verified phone), ' +
        'the reset is audited as mfa_reset. 404 not_found also when the user has nothing to reset: no TOTP on ' +
        '(and, with passkeys: true, no passkey); then nothing changes and no session ends.',
      request: { params: IdParam, body: { ...jsonBody(MfaResetBody), required: false } },
      responses: { 204: { description: 'Reset' }, ...errorResponses(400, 401, 403, 404, 413, 415) },
    }),
    async (c) => {
      await resetUserMfa(c.var.deps, actorOf(c), {
        id: c.req.valid('param').id,
        passkeys: c.req.valid('json')?.passkeys ?? false,
        client: clientInfo(c),
      })
      return c.body(null, 204)
    },
  )

for (const [action, status] of [
  ['activate', 'active'],
  ['deactivate', 'deactivated'],
  ['suspend', 'suspended'],
] as const) {
  router.openapi(
    signedIn('patch', `/{id}/${action}`, {
      summary:
        status === 'active'
          ? 'Activate a user below you (a client: its own sub-clients)'
          : `Set a user below you ${status} (a client: its own sub-clients); every session ends`,
      request: { params: IdParam },
      responses: { 200: jsonContent(UserResponse, 'The user'), ...errorResponses(401, 403, 404) },
    }),
    async (c) =>
      c.json(await setStatus(c.var.deps, actorOf(c), { id: c.req.valid('param').id, status, client: clientInfo(c) }), 200),
  )
}
