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

/**
 * SPEC §14: a member of a role of MFA_REQUIRED_ROLES reaches staff and admin routes only with a
 * token whose `amr` has `mfa` (403 `mfa_required`); without MFA set up they still sign in and
 * reach /me/mfa (and /me/passkeys) to set it up, then sign in again with the second factor.
 */
export const requireMfaForRole = createMiddleware<AppEnv>(async (c, next) => {
  const { auth, deps } = c.var
  if (deps.config.MFA_REQUIRED_ROLES.includes(auth.role) && !auth.amr?.includes('mfa')) {
    throw new AppError(
      'mfa_required',
      `The role ${auth.role} needs a second factor here: turn one on at /me/mfa/totp, then sign in again with it`,
    )
  }
  await next()
})
