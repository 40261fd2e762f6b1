// The import's SQL: multi-row `INSERT … ON CONFLICT DO NOTHING` statements, grouped into files
// for `wrangler d1 execute --file`. D1 takes statements up to 100 KB; ours stay far smaller,
// because wrangler splits a file into statements at a cost that grows with the square of a
// statement's length (measured: 10,000 rows take 18 s in 75 KB statements, 5 s in 17 KB ones).
// Values are literals (wrangler's --file binds no parameters, so D1's limit of 100 bound
// parameters per statement does not apply).
import { type SqlValue, sqlValue } from '../d1'
import type { ImportUser } from './validate'

export interface BatchLimits {
  /** Bytes of SQL per statement (D1's limit: 100,000). */
  statementBytes: number
  /** Bytes of SQL per file, i.e. per `wrangler d1 execute` call. */
  fileBytes: number
}

export const DEFAULT_LIMITS: BatchLimits = { statementBytes: 16_000, fileBytes: 4_000_000 }

/** The statements of one file and the users whose rows it inserts. */
export interface SqlFile {
  sql: string
  users: ImportUser[]
}

// Safe between single quotes through wrangler: no quote or `;` (its splitter and its removal of
// `BEGIN TRANSACTION;`/`COMMIT;` work on the raw text), no NUL, and not the text `BEGIN TRANSACTION`.
const PLAIN = /^[^';\0\\]*$/

/** A literal for `value`: quoted when wrangler cannot alter it, else sqlValue's hex (half as compact). */
export function literal(value: SqlValue): string {
  if (typeof value === 'string' && PLAIN.test(value) && !/BEGIN\s+TRANSACTION|COMMIT/i.test(value) && !/[\r\n]/.test(value)) {
    return `'${value}'`
  }
  return sqlValue(value)
}

const USER_COLUMNS =
  'id, pool, phone, email, username, password_hash, name, surname, role, status, phone_verified, email_verified, parent_id, created_at, updated_at, last_login'
const DEVICE_COLUMNS = 'device_id, pool, user_id, type, registered_at'

function userRow(u: ImportUser): string {
  const values: SqlValue[] = [
    u.id,
    u.pool,
    u.phone,
    u.email,
    u.username,
    u.passwordHash,
    u.name,
    u.surname,
    u.role,
    u.status,
    u.phoneVerified,
    u.emailVerified,
    u.parentId,
    u.createdAt,
    u.updatedAt,
    u.lastLogin,
  ]
  return `(${values.map(literal).join(', ')})`
}

function deviceRows(u: ImportUser): string[] {
  return u.devices.map((d) => `(${[d.deviceId, u.pool, u.id, d.type, d.registeredAt].map(literal).join(', ')})`)
}

/** Multi-row INSERTs of `rows`, each statement at most `maxBytes` long (a row never shares a statement it would overflow). */
export function insertStatements(table: string, columns: string, rows: string[], maxBytes: number): string[] {
  const head = `INSERT INTO ${table} (${columns}) VALUES `
  const tail = ' ON CONFLICT DO NOTHING;'
  const statements: string[] = []
  let current: string[] = []
  let size = head.length + tail.length
  for (const row of rows) {
    const rowBytes = Buffer.byteLength(row) + 2
    if (head.length + tail.length + rowBytes > maxBytes) throw new Error(`a row of ${rowBytes} bytes exceeds ${maxBytes}`)
    if (current.length > 0 && size + rowBytes > maxBytes) {
      statements.push(`${head}${current.join(', ')}${tail}`)
      current = []
      size = head.length + tail.length
    }
    current.push(row)
    size += rowBytes
  }
  if (current.length > 0) statements.push(`${head}${current.join(', ')}${tail}`)
  return statements
}

/**
 * The SQL files of an import: each inserts a run of users, then their devices (after them: a
 * device references its user), and stays within `limits.fileBytes` unless a single user does not.
 * D1 runs each file as one transaction.
 */
export function sqlFiles(users: ImportUser[], limits: BatchLimits = DEFAULT_LIMITS): SqlFile[] {
  const build = (group: ImportUser[]): SqlFile[] => {
    const statements = [
      ...insertStatements('users', USER_COLUMNS, group.map(userRow), limits.statementBytes),
      ...insertStatements('devices', DEVICE_COLUMNS, group.flatMap(deviceRows), limits.statementBytes),
    ]
    const sql = `${statements.join('\n')}\n`
    // The estimate below undercounts when statements are tiny: halve until the file fits.
    if (Buffer.byteLength(sql) <= limits.fileBytes || group.length === 1) return [{ sql, users: group }]
    const half = Math.ceil(group.length / 2)
    return [...build(group.slice(0, half)), ...build(group.slice(half))]
  }
  const files: SqlFile[] = []
  let group: ImportUser[] = []
  let size = 0
  for (const u of users) {
    // Its share of the file: its rows, and a margin for the statements' heads.
    const bytes = Buffer.byteLength(userRow(u)) + deviceRows(u).reduce((n, r) => n + Buffer.byteLength(r) + 2, 0) + 2
    if (group.length > 0 && size + bytes > limits.fileBytes * 0.95) {
      files.push(...build(group))
      group = []
      size = 0
    }
    group.push(u)
    size += bytes
  }
  if (group.length > 0) files.push(...build(group))
  return files
}
