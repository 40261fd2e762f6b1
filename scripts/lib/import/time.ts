import { problem } from './problem'

// A day of clock difference between the old service and this machine is tolerated; more is a bad value.
const FUTURE_SLACK_MS = 24 * 60 * 60 * 1000
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * A time as epoch milliseconds, from an ISO 8601 string (no zone: UTC, as Python's naive
 * `datetime.utcnow()` values are), epoch milliseconds, or MongoDB Extended JSON
 * (`{"$date": "…"}`, `{"$date": {"$numberLong": "…"}}`).
 */
export function readTime(value: unknown, field: string, now: number): number {
  let ms: number
  if (typeof value === 'object' && value !== null && '$date' in value) {
    const date = (value as { $date: unknown }).$date
    const long =
      typeof date === 'object' && date !== null && '$numberLong' in date
        ? (date as { $numberLong: unknown }).$numberLong
        : undefined
    return readTime(typeof long === 'string' ? Number(long) : date, field, now)
  }
  if (typeof value === 'number') ms = value
  else if (typeof value === 'string' && ISO.test(value.trim())) {
    const s = value.trim().replace(' ', 'T')
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(s) || !s.includes('T') ? s : `${s}Z`)
  } else throw problem(`${field}: an ISO 8601 time, epoch milliseconds or {"$date": …}`)
  if (!Number.isSafeInteger(ms) || ms < 0) throw problem(`${field}: not a valid time`)
  if (ms > now + FUTURE_SLACK_MS) throw problem(`${field}: in the future`)
  return ms
}
