/**
 * The Worker's one logger: one JSON line per event on stderr, `{ level, msg, ...fields }`.
 * Fields are for ids, names and counts: never a code, token, password or provider secret.
 */
type Fields = Record<string, unknown>

const line =
  (level: 'warn' | 'error' | 'fatal') =>
  (msg: string, fields: Fields = {}) =>
    console.error(JSON.stringify({ level, msg, ...fields }))

export const log = {
  /** Something failed and was worked around (a fallback provider took over). */
  warn: line('warn'),
  /** Something failed; the request or background work could not do it. */
  error: line('error'),
  /** The service cannot work as configured. */
  fatal: line('fatal'),
}
