import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { AppError } from '../errors'
import { grants, isStaff } from '../services/iam'

/** Allows the call only when the access token's `perms` grant `permission` (wildcards included). */
export function requirePermission(permission: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!grants(c.var.auth.perms, permission)) {
      throw new AppError('forbidden', `This needs the permission ${permission}`, { permission })
    }
    await next()
  })
}

/** Staff routes: the token's role must be a staff role; finer rules live in the services. */
export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  if (!isStaff(c.var.auth.role)) throw new AppError('forbidden', 'Staff only')
  await next()
})
