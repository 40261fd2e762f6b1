import { requireAuth, requireLiveSession } from '../middleware/auth'
import { requireMfaForRole, requireStaff } from '../middleware/permissions'
import { errorResponses, jsonBody, jsonContent } from '../schemas/fields'
import { RoleParam, RolePoliciesBody, RolePoliciesResponse } from '../schemas/iam'
import { getRolePolicies, setRolePolicies } from '../services/iam'
import { actorOf, clientInfo, newRouter, routesOf } from './router'

const tags = ['roles']
const { signedIn } = routesOf(tags)

const router = newRouter()
router.use('*', requireAuth, requireMfaForRole, requireLiveSession, requireStaff)

/** Role policies (SPEC §13): admins attach policies to a role, end-user roles included. Chained for `hono/client`. */
export const roles = router
  .openapi(
    signedIn('get', '/{role}/policies', {
      summary: "A role's policies and the permissions they give (admin or above)",
      request: { params: RoleParam },
      responses: {
        200: jsonContent(RolePoliciesResponse, "The role's policies"),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => c.json(await getRolePolicies(c.var.deps, actorOf(c), c.req.valid('param').role), 200),
  )
  .openapi(
    signedIn('put', '/{role}/policies', {
      summary: "Replace a role's policies; everyone of the role holds them from their next token (admin or above)",
      request: { params: RoleParam, body: jsonBody(RolePoliciesBody) },
      responses: {
        200: jsonContent(RolePoliciesResponse, "The role's policies, as now set"),
        ...errorResponses(400, 401, 403, 404, 413, 415),
      },
    }),
    async (c) =>
      c.json(
        await setRolePolicies(c.var.deps, actorOf(c), {
          role: c.req.valid('param').role,
          policyIds: c.req.valid('json').policy_ids,
          client: clientInfo(c),
        }),
        200,
      ),
  )
