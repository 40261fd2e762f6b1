import type { SQL } from 'drizzle-orm'
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core'

const dialect = new SQLiteAsyncDialect()

/**
 * A drizzle `sql` template as a D1 statement, for a raw `d1.batch` of conditional statements
 * (drizzle's own batch cannot run `sql` templates that carry parameters). Rows come back with
 * the column names the SQL gives them.
 */
export function rawStatement(d1: D1Database, query: SQL): D1PreparedStatement {
  const q = dialect.sqlToQuery(query)
  return d1.prepare(q.sql).bind(...q.params)
}
