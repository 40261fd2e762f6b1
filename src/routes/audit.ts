import { requireAuth, requireLiveSession } from '../middleware/auth'
import { requireMfaForRole } from '../middleware/permissions'
import { errorResponses, jsonContent } from '../schemas/fields'
import { AuditList, AuditQuery } from '../schemas/iam'
import { listAudit } from '../services/audit'
import { actorOf, newRouter, routesOf } from './router'

const { signedIn } = routesOf(['audit'])
const router = newRouter()
router.use('*', requireAuth, requireMfaForRole, requireLiveSession)

export const audit = router.openapi(
  signedIn('get', '/', {
    summary: 'Security events, newest first (admin or above)',
    request: { query: AuditQuery },
    responses: { 200: jsonContent(AuditList, 'Events'), ...errorResponses(401, 403) },
  }),
  async (c) => c.json(await listAudit(c.var.deps, actorOf(c), c.req.valid('query')), 200),
)
