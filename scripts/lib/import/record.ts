// One line of an import file (SPEC §13) read into our field names: the seeds' `_id`,
// `first_name`, `last_name`, `is_verified`, `password` and `country_code` are taken as what they
// mean here. Nothing is validated yet (validate.ts does that with the service's rules), only the
// shape: a JSON object, each field of the type it can be.

/** A record in our field names, as the file gave it; `undefined` = absent (JSON null counts as absent). */
export interface SourceRecord {
  id?: unknown
  phone?: unknown
  /** Seed 001: an ISO country (`US`) the national `phone` is read in, or a calling code (`+216`). */
  country_code?: unknown
  email?: unknown
  username?: unknown
  name?: unknown
  surname?: unknown
  role?: unknown
  status?: unknown
  phone_verified?: unknown
  email_verified?: unknown
  /** Seeds 000 and 001: whether the primary identifier (phone, else email) is verified. */
  is_verified?: unknown
  password_hash?: unknown
  parent_id?: unknown
  created_at?: unknown
  updated_at?: unknown
  last_login?: unknown
  devices?: unknown
}

const OURS = [
  'id',
  'phone',
  'country_code',
  'email',
  'username',
  'name',
  'surname',
  'role',
  'status',
  'phone_verified',
  'email_verified',
  'is_verified',
  'password_hash',
  'parent_id',
  'created_at',
  'updated_at',
  'last_login',
  'devices',
] as const

/** The seeds' names for our fields. */
const ALIASES: Record<string, (typeof OURS)[number]> = {
  _id: 'id',
  first_name: 'name',
  last_name: 'surname',
  password: 'password_hash',
}

export type ReadRecord = { record: SourceRecord; ignored: string[] } | { problem: string }

/**
 * Parses one line into a SourceRecord. A field given under both names (`id` and `_id`) must say
 * the same thing. Fields neither we nor the seeds have are returned in `ignored` (the importer
 * names them once, so a typo does not pass unnoticed).
 */
export function readRecord(line: string): ReadRecord {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch (err) {
    // Only the position: V8's message quotes the line, which may hold a password in clear.
    const at = /at position (\d+)/.exec((err as Error).message)?.[1]
    return { problem: `not valid JSON${at ? ` (at character ${Number(at) + 1})` : ''}` }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'not a JSON object' }
  const record: Record<string, unknown> = {}
  const ignored: string[] = []
  for (const [key, value] of Object.entries(parsed)) {
    const field = ALIASES[key] ?? (OURS as readonly string[]).find((k) => k === key)
    if (!field) {
      ignored.push(key)
      continue
    }
    if (value === null || value === undefined) continue
    if (field in record && JSON.stringify(record[field]) !== JSON.stringify(value)) {
      const names = [field, ...Object.keys(ALIASES).filter((a) => ALIASES[a] === field)].join(' and ')
      return { problem: `${names} disagree` }
    }
    record[field] = value
  }
  return { record: record as SourceRecord, ignored }
}
