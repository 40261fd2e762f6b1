import { fillPlaceholders, type Query, type SQL } from 'drizzle-orm'
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core'

/**
 * A drizzle query built once per isolate, its values left as `sql.placeholder(name)`, and bound
 * per request. Building a query (drizzle walks its SQL chunks, checking each one's kind) costs
 * about 90 µs; a hot path of five queries spent more on that than on anything but the D1 call.
 */
interface DrizzlePrepared<R> {
  getQuery(): Query
  mapResult(response: unknown, isFromBatch?: boolean): unknown
  execute(placeholderValues?: Record<string, unknown>): Promise<R>
}

/** One statement of a `runBatch`, and how to read its result (as drizzle's own batch would). */
export interface BatchStatement<R> {
  statement: D1PreparedStatement
  read(result: D1Result): R
}

export type Bind<R> = (values: Record<string, unknown>) => BatchStatement<R>

/** Binds a prepared drizzle query (`….prepare()`) per call; its D1 statement is prepared once. */
export function prepared<R>(d1: D1Database, query: DrizzlePrepared<R>): Bind<R> {
  const { sql, params } = query.getQuery()
  const statement = d1.prepare(sql)
  return (values) => ({
    statement: statement.bind(...fillPlaceholders(params, values)),
    read: (result) => query.mapResult(result, true) as R,
  })
}

const dialect = new SQLiteAsyncDialect()

/**
 * `prepared` for a drizzle `sql` template (a conditional statement the query builder cannot
 * express), its rows as the SQL names them.
 */
export function preparedSql<Row = Record<string, unknown>>(d1: D1Database, query: SQL): Bind<Row[]> {
  const { sql, params } = dialect.sqlToQuery(query)
  const statement = d1.prepare(sql)
  return (values) => ({
    statement: statement.bind(...fillPlaceholders(params, values)),
    read: (result) => result.results as Row[],
  })
}

type Results<T extends readonly BatchStatement<unknown>[]> = {
  -readonly [K in keyof T]: T[K] extends BatchStatement<infer R> ? R : never
}

/** Runs statements in one D1 batch (one round trip, one transaction) and reads each result. */
export async function runBatch<const T extends readonly BatchStatement<unknown>[]>(
  d1: D1Database,
  items: T,
): Promise<Results<T>> {
  const results = await d1.batch(items.map((i) => i.statement))
  return items.map((item, i) => item.read(results[i] as D1Result)) as Results<T>
}

/** Builds on first use, then keeps: prepared queries are not built at module scope or for routes that never use them. */
export function once<T>(build: () => T): () => T {
  let built: T | undefined
  return () => {
    built ??= build()
    return built
  }
}
