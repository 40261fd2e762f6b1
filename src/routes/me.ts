import { createRoute } from '@hono/zod-openapi'
import { requireAuth } from '../middleware/auth'
import { errorResponses, jsonContent } from '../schemas/fields'
import { UserResponse } from '../schemas/user'
import { getMe } from '../services/me'
import { newRouter } from './router'

const tags = ['me']
const security = [{ bearer: [] }]

export const me = newRouter()
me.use('*', requireAuth)

me.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags,
    security,
    summary: 'The signed-in user',
    responses: { 200: jsonContent(UserResponse, 'The user'), ...errorResponses(401) },
  }),
  async (c) => c.json(await getMe(c.var.deps, c.var.auth.userId), 200),
)
