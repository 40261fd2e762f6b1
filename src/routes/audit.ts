import { createRoute } from '@hono/zod-openapi'
import { requireAuth, requireLiveSession } from '../middleware/auth'
import { errorResponses, jsonContent, SECURITY } from '../schemas/fields'
import { AuditList, AuditQuery } from '../schemas/iam'
import { listAudit } from '../services/audit'
import { actorOf, newRouter } from './router'

const router = newRouter()
router.use('*', requireAuth, requireLiveSession)

export const audit = router.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['audit'],
    security: SECURITY,
    summary: 'Security events, newest first (admin or above)',
    request: { query: AuditQuery },
    responses: { 200: jsonContent(AuditList, 'Events'), ...errorResponses(401, 403) },
  }),
  async (c) => c.json(await listAudit(c.var.deps, actorOf(c), c.req.valid('query')), 200),
)
