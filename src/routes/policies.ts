import { requireAuth, requireLiveSession } from '../middleware/auth'
import { requireMfaForRole, requireStaff } from '../middleware/permissions'
import { errorResponses, jsonBody, jsonContent } from '../schemas/fields'
import { IdParam, PageQuery, PolicyBody, PolicyList, PolicyPatchBody, PolicyResponse } from '../schemas/iam'
import { createPolicy, deletePolicy, getPolicy, listPolicies, updatePolicy } from '../services/iam'
import { actorOf, clientInfo, newRouter, routesOf } from './router'

const tags = ['policies']
const { signedIn } = routesOf(tags)

const router = newRouter()
router.use('*', requireAuth, requireMfaForRole, requireLiveSession, requireStaff)

/** Chained, so `hono/client` sees the routes' types. */
export const policies = router
  .openapi(
    signedIn('post', '/', {
      summary: 'Create a permission policy (admin or above)',
      request: { body: jsonBody(PolicyBody) },
      responses: { 201: jsonContent(PolicyResponse, 'The policy'), ...errorResponses(400, 401, 403) },
    }),
    async (c) => c.json(await createPolicy(c.var.deps, actorOf(c), { ...c.req.valid('json'), client: clientInfo(c) }), 201),
  )
  .openapi(
    signedIn('get', '/', {
      summary: 'List policies (a client sees those attached to it)',
      request: { query: PageQuery },
      responses: { 200: jsonContent(PolicyList, 'Policies'), ...errorResponses(401, 403) },
    }),
    async (c) => c.json(await listPolicies(c.var.deps, actorOf(c), c.req.valid('query')), 200),
  )
  .openapi(
    signedIn('get', '/{id}', {
      summary: 'Read a policy',
      request: { params: IdParam },
      responses: { 200: jsonContent(PolicyResponse, 'The policy'), ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await getPolicy(c.var.deps, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    signedIn('patch', '/{id}', {
      summary: 'Change a policy (takes effect at the holders’ next token)',
      request: { params: IdParam, body: jsonBody(PolicyPatchBody) },
      responses: { 200: jsonContent(PolicyResponse, 'The policy'), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) =>
      c.json(
        await updatePolicy(c.var.deps, actorOf(c), {
          id: c.req.valid('param').id,
          patch: c.req.valid('json'),
          client: clientInfo(c),
        }),
        200,
      ),
  )
  .openapi(
    signedIn('delete', '/{id}', {
      summary: 'Delete a policy',
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await deletePolicy(c.var.deps, actorOf(c), { id: c.req.valid('param').id, client: clientInfo(c) })
      return c.body(null, 204)
    },
  )
