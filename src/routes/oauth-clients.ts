import { requireAuth, requireLiveSession } from '../middleware/auth'
import { requireMfaForRole } from '../middleware/permissions'
import { errorResponses, jsonBody, jsonContent } from '../schemas/fields'
import {
  ClientIdParam,
  ClientSecretResponse,
  OauthClientBody,
  OauthClientCreated,
  OauthClientList,
  OauthClientPatchBody,
  OauthClientResponse,
  OauthClientsQuery,
} from '../schemas/oauth-clients'
import { createClient, deleteClient, getClient, listClients, rotateSecret, updateClient } from '../services/oauth-clients'
import { actorOf, clientInfo, NO_STORE, newRouter, routesOf } from './router'

const tags = ['oauth-clients']
const { signedIn } = routesOf(tags)

/**
 * The OAuth client registry (SPEC §15): admins and super admins (403 for anyone else), with the
 * MFA rule of the other admin routes (SPEC §14).
 */
const router = newRouter()
router.use('*', requireAuth, requireMfaForRole, requireLiveSession)

/** Chained, so `hono/client` sees the routes' types. */
export const oauthClients = router
  .openapi(
    signedIn('post', '/', {
      summary: 'Register an OAuth client (admin or above); a confidential one’s secret is in this answer only',
      request: { body: jsonBody(OauthClientBody) },
      responses: {
        201: jsonContent(OauthClientCreated, 'The client, with client_secret if confidential'),
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) =>
      c.json(await createClient(c.var.deps, actorOf(c), { input: c.req.valid('json'), client: clientInfo(c) }), 201, NO_STORE),
  )
  .openapi(
    signedIn('get', '/', {
      summary: 'List OAuth clients, of one pool or all, by client_id (admin or above)',
      request: { query: OauthClientsQuery },
      responses: { 200: jsonContent(OauthClientList, 'Clients, ordered by client_id'), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await listClients(c.var.deps, actorOf(c), c.req.valid('query')), 200),
  )
  .openapi(
    signedIn('get', '/{client_id}', {
      summary: 'Read an OAuth client (never its secret)',
      request: { params: ClientIdParam },
      responses: { 200: jsonContent(OauthClientResponse, 'The client'), ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await getClient(c.var.deps, actorOf(c), c.req.valid('param').client_id), 200),
  )
  .openapi(
    signedIn('patch', '/{client_id}', {
      summary: 'Change an OAuth client (not its type or pool)',
      request: { params: ClientIdParam, body: jsonBody(OauthClientPatchBody) },
      responses: { 200: jsonContent(OauthClientResponse, 'The client'), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) =>
      c.json(
        await updateClient(c.var.deps, actorOf(c), {
          id: c.req.valid('param').client_id,
          patch: c.req.valid('json'),
          client: clientInfo(c),
        }),
        200,
      ),
  )
  .openapi(
    signedIn('delete', '/{client_id}', {
      summary: 'Delete an OAuth client: the sessions issued to it end and the consents given to it go',
      request: { params: ClientIdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await deleteClient(c.var.deps, actorOf(c), { id: c.req.valid('param').client_id, client: clientInfo(c) })
      return c.body(null, 204)
    },
  )
  .openapi(
    signedIn('post', '/{client_id}/secret', {
      summary: 'Rotate a confidential client’s secret: the new one is in this answer only, the old one stops working at once',
      request: { params: ClientIdParam },
      responses: { 200: jsonContent(ClientSecretResponse, 'The new secret'), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) =>
      c.json(
        await rotateSecret(c.var.deps, actorOf(c), { id: c.req.valid('param').client_id, client: clientInfo(c) }),
        200,
        NO_STORE,
      ),
  )
