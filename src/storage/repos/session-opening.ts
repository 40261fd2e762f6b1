import { and, eq, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { prepared, preparedSql } from '../db/prepared'
import { type AuditRow, devices, type sessions, users } from '../db/schema'
import { preparedGrants } from './permission-grants'

export type NewSession = typeof sessions.$inferInsert

const at = sql.placeholder

/**
 * The one place that opens a session: the session row, the user's last-login stamp, the user's
 * devices, the policies its access token's `perms` come from (its own, its role's, and a
 * sub-client's parent's) and the sign-in's audit row, as statements of a D1 batch. The session row is inserted
 * only where `when` holds (an SQL condition over the same placeholders, `sql\`1\`` for always);
 * the stamp and the audit row exist only if that session does, so a batch that decides in SQL
 * whether a sign-in succeeds (a code consumed) writes all of them or none.
 */
export function sessionOpening(db: Db, when: SQL, pool: string) {
  const d1 = db.$client
  const opened = sql`EXISTS (SELECT 1 FROM sessions WHERE id = ${at('sessionId')})`
  const insert = preparedSql(
    d1,
    sql`INSERT INTO sessions (id, user_id, pool, refresh_hash, created_at, last_used_at, expires_at, user_agent, ip, auth_time, amr,
      client_id, scope, browser_session_id)
    SELECT ${at('sessionId')}, ${at('userId')}, ${pool}, ${at('refreshHash')}, ${at('sessionAt')}, ${at('lastUsedAt')}, ${at('expiresAt')},
      ${at('userAgent')}, ${at('ip')}, ${at('authTime')}, ${at('amr')}, ${at('clientId')}, ${at('scope')}, ${at('browserSessionId')}
    WHERE ${when}`,
  )
  const stamp = prepared(
    d1,
    db
      .update(users)
      .set({ lastLogin: sql`${at('sessionAt')}` })
      .where(and(eq(users.id, at('userId')), opened))
      .returning()
      .prepare(),
  )
  const owned = prepared(
    d1,
    db
      .select()
      .from(devices)
      .where(eq(devices.userId, at('userId')))
      .orderBy(devices.registeredAt)
      .prepare(),
  )
  const granted = preparedGrants(db, sql`${at('userId')}`)
  const record = preparedSql(
    d1,
    sql`INSERT INTO audit_events (id, at, type, actor_id, subject_id, pool, ip, user_agent, detail)
    SELECT ${at('auditId')}, ${at('auditAt')}, ${at('auditType')}, ${at('actorId')}, ${at('subjectId')}, ${pool}, ${at('auditIp')},
      ${at('auditUserAgent')}, ${at('auditDetail')}
    WHERE ${opened}`,
  )

  return {
    /**
     * The batch's statements for one session: insert, stamp, devices, grants, then the audit row if any.
     * `extra` are the values of the caller's own placeholders in `when`.
     */
    statements(row: NewSession, audit: AuditRow | undefined, extra: Record<string, unknown> = {}) {
      const values = { ...extra, ...openingValues(row, audit) }
      const head = [insert(values), stamp(values), owned(values), granted(values)] as const
      return audit ? ([...head, record(values)] as const) : head
    },
  }
}

export type SessionOpening = ReturnType<typeof sessionOpening>

function openingValues(row: NewSession, audit: AuditRow | undefined) {
  return {
    sessionId: row.id,
    userId: row.userId,
    refreshHash: row.refreshHash,
    sessionAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    userAgent: row.userAgent ?? null,
    ip: row.ip ?? null,
    authTime: row.authTime ?? row.createdAt,
    amr: row.amr ?? null,
    clientId: row.clientId ?? null,
    scope: row.scope ?? null,
    browserSessionId: row.browserSessionId ?? null,
    auditId: audit?.id ?? null,
    auditAt: audit?.at ?? null,
    auditType: audit?.type ?? null,
    actorId: audit?.actorId ?? null,
    subjectId: audit?.subjectId ?? null,
    auditIp: audit?.ip ?? null,
    auditUserAgent: audit?.userAgent ?? null,
    auditDetail: audit?.detail == null ? null : JSON.stringify(audit.detail),
  }
}
