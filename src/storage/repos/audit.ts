import { and, desc, eq, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { once, prepared } from '../db/prepared'
import { type AuditRow, auditEvents } from '../db/schema'

export interface AuditQuery {
  userId?: string | undefined
  type?: string | undefined
  limit: number
  cursor?: string | undefined
}

export function auditRepo(db: Db) {
  const t = auditEvents
  const at = sql.placeholder
  // Built once (see prepared.ts): most requests that write record one event.
  const insertRow = once(() =>
    prepared(
      db.$client,
      db
        .insert(t)
        .values({
          id: at('id'),
          at: at('at'),
          type: at('type'),
          actorId: at('actorId'),
          subjectId: at('subjectId'),
          pool: at('pool'),
          ip: at('ip'),
          userAgent: at('userAgent'),
          // Bound as text by insert() below: a placeholder in a json column would store null as 'null'.
          detail: sql`${at('detail')}`,
        })
        .prepare(),
    ),
  )
  return {
    insert: (row: AuditRow) =>
      insertRow()({ ...row, detail: row.detail === null ? null : JSON.stringify(row.detail) }).statement.run(),

    /** Newest first; `userId` matches the actor or the subject. */
    page: (q: AuditQuery): Promise<AuditRow[]> =>
      db
        .select()
        .from(t)
        .where(
          and(
            q.userId ? or(eq(t.actorId, q.userId), eq(t.subjectId, q.userId)) : undefined,
            q.type ? eq(t.type, q.type) : undefined,
            q.cursor ? lt(t.id, q.cursor) : undefined,
          ),
        )
        .orderBy(desc(t.id))
        .limit(q.limit)
        .all(),
  }
}

export type AuditRepo = ReturnType<typeof auditRepo>
