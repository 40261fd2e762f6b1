import { requireAuth, requireLiveSession } from '../middleware/auth'
import { requireMfaForRole, requireStaff } from '../middleware/permissions'
import { errorResponses, jsonBody, jsonContent } from '../schemas/fields'
import { StaffBody, SubclientBody, SubclientQuery, UserList, UserPageQuery } from '../schemas/iam'
import { UserResponse } from '../schemas/user'
import { createStaff, listStaff } from '../services/iam'
import { actorOf, clientInfo, newRouter, routesOf } from './router'

const tags = ['staff']
const { signedIn } = routesOf(tags)

/** `/admins`, `/clients`, `/subclients` (SPEC §6.5); who may do what is decided in services/staff. */
export const staff = newRouter()
staff.use('/admins', requireAuth, requireMfaForRole, requireLiveSession, requireStaff)
staff.use('/clients', requireAuth, requireMfaForRole, requireLiveSession, requireStaff)
staff.use('/subclients', requireAuth, requireMfaForRole, requireLiveSession, requireStaff)

for (const kind of ['admin', 'client'] as const) {
  staff
    .openapi(
      signedIn('post', `/${kind}s`, {
        summary: kind === 'admin' ? 'Create an admin (super admin only)' : 'Create a client (admin or above)',
        request: { body: jsonBody(StaffBody) },
        responses: { 201: jsonContent(UserResponse, `The new ${kind}`), ...errorResponses(400, 401, 403, 409) },
      }),
      async (c) =>
        c.json(await createStaff(c.var.deps, actorOf(c), { ...c.req.valid('json'), kind, client: clientInfo(c) }), 201),
    )
    .openapi(
      signedIn('get', `/${kind}s`, {
        summary: `List ${kind}s`,
        request: { query: UserPageQuery },
        responses: { 200: jsonContent(UserList, `${kind}s, newest first`), ...errorResponses(401, 403) },
      }),
      async (c) => c.json(await listStaff(c.var.deps, actorOf(c), { ...c.req.valid('query'), kind }), 200),
    )
}

staff
  .openapi(
    signedIn('post', '/subclients', {
      summary: 'Create a sub-client (admins name client_id; a client creates its own)',
      request: { body: jsonBody(SubclientBody) },
      responses: { 201: jsonContent(UserResponse, 'The new sub-client'), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) =>
      c.json(
        await createStaff(c.var.deps, actorOf(c), { ...c.req.valid('json'), kind: 'subclient', client: clientInfo(c) }),
        201,
      ),
  )
  .openapi(
    signedIn('get', '/subclients', {
      summary: 'List sub-clients (a client sees only its own; admins may filter by client_id)',
      request: { query: SubclientQuery },
      responses: { 200: jsonContent(UserList, 'Sub-clients, newest first'), ...errorResponses(401, 403) },
    }),
    async (c) => c.json(await listStaff(c.var.deps, actorOf(c), { ...c.req.valid('query'), kind: 'subclient' }), 200),
  )
