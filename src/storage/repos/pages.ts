import { type AnyColumn, desc, type InferSelectModel, lt } from 'drizzle-orm'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Db } from '../db/client'

/**
 * A page of a table's rows, newest first (ids are time-ordered); `cursor` is the last id of the
 * previous page.
 */
export function newestFirst<T extends SQLiteTable>(db: Db, table: T, id: AnyColumn) {
  return (limit: number, cursor?: string): Promise<InferSelectModel<T>[]> =>
    db
      .select()
      .from(table as SQLiteTable)
      .where(cursor ? lt(id, cursor) : undefined)
      .orderBy(desc(id))
      .limit(limit)
      .all() as Promise<InferSelectModel<T>[]>
}
