import { and, desc, eq, lt, or } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type AuditRow, auditEvents } from '../db/schema'

export interface AuditQuery {
  userId?: string | undefined
  type?: string | undefined
  limit: number
  cursor?: string | undefined
}

export function auditRepo(db: Db) {
  const t = auditEvents
  return {
    insert: (row: AuditRow) => db.insert(t).values(row).run(),

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
