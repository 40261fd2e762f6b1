import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type Bind, preparedSql } from '../db/prepared'

/**
 * One policy's permissions that count for a user: its own or its role's (`self`), or, for a
 * sub-client, its parent client's own or role's (`parent`, the ceiling; read only while that
 * parent is an active client).
 */
export interface PermissionGrant {
  holder: 'self' | 'parent'
  permissions: string[]
}

/**
 * The grants of the user whose id `userId` gives (a placeholder, or a subquery such as "the
 * owner of the session with this refresh hash"), as ONE statement: it joins into the batch that
 * opens or refreshes a session, so the role's policies cost no round trip of their own (SPEC §13).
 */
function grantsSql(userId: SQL): SQL {
  return sql`WITH
    u AS (SELECT id, role, parent_id FROM users WHERE id = ${userId}),
    p AS (SELECT pu.id, pu.role FROM users pu JOIN u ON pu.id = u.parent_id
          WHERE u.role = 'subclient' AND pu.role = 'client' AND pu.status = 'active'),
    holders AS (SELECT 'self' AS holder, id, role FROM u UNION ALL SELECT 'parent', id, role FROM p)
  SELECT h.holder AS holder, pol.permissions AS permissions
    FROM holders h JOIN user_policies up ON up.user_id = h.id JOIN policies pol ON pol.id = up.policy_id
  UNION ALL
  SELECT h.holder, pol.permissions
    FROM holders h JOIN role_policies rp ON rp.role = h.role JOIN policies pol ON pol.id = rp.policy_id`
}

/** The grants statement, prepared once, bound per call; its rows' permissions parsed. */
export function preparedGrants(db: Db, userId: SQL): Bind<PermissionGrant[]> {
  const bind = preparedSql<{ holder: PermissionGrant['holder']; permissions: string }>(db.$client, grantsSql(userId))
  return (values) => {
    const bound = bind(values)
    return {
      statement: bound.statement,
      read: (result) => bound.read(result).map((r) => ({ holder: r.holder, permissions: JSON.parse(r.permissions) as string[] })),
    }
  }
}
