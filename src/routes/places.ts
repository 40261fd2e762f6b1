import { requireAuth } from '../middleware/auth'
import { requireMfaForRole, requirePermission } from '../middleware/permissions'
import { errorResponses, jsonBody, jsonContent } from '../schemas/fields'
import { PageQuery, PlaceBody, PlaceList, PlaceResponse } from '../schemas/iam'
import { createPlace, listPlaces } from '../services/places'
import { newRouter, routesOf } from './router'

const tags = ['places']
const { signedIn } = routesOf(tags)

/** The example protected resource (seed 004): guarded by `places:read` / `places:write`. */
const router = newRouter()
router.use('*', requireAuth, requireMfaForRole)

/** Chained, so `hono/client` sees the routes' types. */
export const places = router
  .openapi(
    signedIn('get', '/', {
      middleware: requirePermission('places:read'),
      summary: 'EV chargers and swap stations (permission places:read)',
      request: { query: PageQuery },
      responses: { 200: jsonContent(PlaceList, 'Places, newest first'), ...errorResponses(401, 403) },
    }),
    async (c) => c.json(await listPlaces(c.var.deps, c.req.valid('query')), 200),
  )
  .openapi(
    signedIn('post', '/', {
      middleware: requirePermission('places:write'),
      summary: 'Add a place (permission places:write)',
      request: { body: jsonBody(PlaceBody) },
      responses: { 201: jsonContent(PlaceResponse, 'The place'), ...errorResponses(400, 401, 403) },
    }),
    async (c) => c.json(await createPlace(c.var.deps, c.var.auth.userId, c.req.valid('json')), 201),
  )
