import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { DEFAULT_POOL } from '../../pools'
import { type ClientDefinition, definitionProblems } from './rules'

/** Roles of the staff account a machine client may act as (seed 004: partners' accounts), when registered and at each grant. */
export const ACTING_ROLES: ReadonlySet<string> = new Set(['client', 'subclient'])

/**
 * Why `userId` cannot be the account a machine client acts as, or null: an active `client` or
 * `subclient` (seed 004's accounts for partners' systems; never an admin, whom a leaked secret
 * would hand over) of the default pool, where staff live, for a client of the default pool (its
 * tokens are that pool's).
 */
async function actingAccountProblem(deps: Deps, userId: string, pool: string): Promise<string | null> {
  if (pool !== DEFAULT_POOL) return 'Staff accounts belong to the default pool: only its clients act as one'
  const user = await deps.inPool(DEFAULT_POOL).users.byId(userId)
  if (!user || user.pool !== DEFAULT_POOL || !ACTING_ROLES.has(user.role) || user.status !== 'active') {
    return 'Must be an active client or sub-client account'
  }
  return null
}

/**
 * Every rule of a client's definition, checked together: 400 validation_error naming each field.
 * The acting account is looked up only when it changes (`userChanged`).
 */
export async function assertValid(deps: Deps, def: ClientDefinition & { pool: string }, userChanged: boolean): Promise<void> {
  const problems = definitionProblems(def)
  if (!deps.pools().includes(def.pool)) problems.pool = `Unknown user pool; one of: ${deps.pools().join(', ')}`
  else if (def.userId !== null && userChanged && !problems.user_id) {
    const problem = await actingAccountProblem(deps, def.userId, def.pool)
    if (problem) problems.user_id = problem
  }
  if (Object.keys(problems).length > 0) throw new AppError('validation_error', 'Request validation failed', { fields: problems })
}
