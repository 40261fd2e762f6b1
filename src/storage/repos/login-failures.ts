import { type SQL, sql } from 'drizzle-orm'
import { DAY_MS } from '../../time'
import { type BatchStatement, once, preparedSql } from '../db/prepared'

/** An attempt still "being checked" after this long died with its isolate: its slot is forgotten. */
export const IN_FLIGHT_TTL_MS = 15_000

/** A row of `login_failures` as the lockout reads it. */
export interface LockRow {
  key: string
  failures: number
  lastFailureAt: number
  lockedUntil: number
  inFlight: number
  inFlightAt: number
}

/** The two rows a password attempt is counted in: its identifier, and that identifier with the client's IP bucket. */
export interface AttemptKeys {
  identifier: string
  pair: string
}

export interface AdmitInput {
  key: string
  now: number
  threshold: number
  /** The endpoint's per-IP request counter, hit earlier in the same batch: over its limit, nothing is admitted. */
  request?: { key: string; max: number } | undefined
}

export interface FailureInput {
  key: string
  now: number
  threshold: number
  maxMinutes: number
  /** Whether this attempt held an in-flight slot of the row (admitted on it). */
  held: boolean
}

/** A row an attempt that ended held (or not) a slot of. */
export interface HeldRow {
  key: string
  held: boolean
  now: number
}

/**
 * The statements of `login_failures` (the password lockout's counters), built once per isolate and
 * bound per call, for the batches of `password-attempts.ts`.
 */
export function loginFailureStatements(d1: D1Database) {
  const at = sql.placeholder
  const built = once(() => {
    const streak = sql`CASE WHEN last_failure_at < ${at('dayAgo')} THEN 1 ELSE failures + 1 END`
    const current = sql`CASE WHEN last_failure_at < ${at('dayAgo')} THEN 0 ELSE failures END`
    const live = sql`CASE WHEN in_flight_at < ${at('staleBefore')} THEN 0 ELSE in_flight END`
    // 2^(streak − threshold) minutes, at most maxMinutes (the shift is capped: 2^20 minutes is years).
    const lockMs = (s: SQL) => sql`60000 * min(1 << min(${s} - ${at('threshold')}, 20), ${at('maxMinutes')})`
    return {
      state: preparedSql<LockRow>(
        d1,
        sql`SELECT identifier AS key, failures, last_failure_at AS lastFailureAt, locked_until AS lockedUntil,
          in_flight AS inFlight, in_flight_at AS inFlightAt
        FROM login_failures WHERE identifier IN (${at('a')}, ${at('b')})`,
      ),
      // Takes a slot for an attempt about to be checked, unless the row is locked or its failures
      // and the attempts still being checked already reach the threshold (after a lock ran out:
      // one at a time). Concurrent attempts therefore never get past it before their outcome is known.
      admit: preparedSql<{ inFlight: number }>(
        d1,
        sql`INSERT INTO login_failures (identifier, failures, last_failure_at, locked_until, in_flight, in_flight_at)
        SELECT ${at('key')}, 0, 0, 0, 1, ${at('now')}
        WHERE ${at('requestMax')} IS NULL
          OR (SELECT count FROM rate_limits WHERE key = ${at('requestKey')}) <= ${at('requestMax')}
        ON CONFLICT(identifier) DO UPDATE SET in_flight = ${live} + 1, in_flight_at = ${at('now')}
        WHERE locked_until <= ${at('now')} AND ${live} < max(1, ${at('threshold')} - ${current})
        RETURNING in_flight AS inFlight`,
      ),
      // Counts a wrong password in the row's streak (a day of quiet starts over), gives its slot
      // back and, from the threshold on, locks the row for 2^(streak − threshold) minutes.
      fail: preparedSql(
        d1,
        sql`INSERT INTO login_failures (identifier, failures, last_failure_at, locked_until, in_flight, in_flight_at)
        VALUES (${at('key')}, 1, ${at('now')},
          CASE WHEN 1 >= ${at('threshold')} THEN ${at('now')} + ${lockMs(sql`1`)} ELSE 0 END, 0, 0)
        ON CONFLICT(identifier) DO UPDATE SET
          failures = ${streak},
          last_failure_at = ${at('now')},
          locked_until = CASE WHEN ${streak} >= ${at('threshold')}
            THEN max(locked_until, ${at('now')} + ${lockMs(streak)}) ELSE locked_until END,
          in_flight = max(in_flight - ${at('held')}, 0)`,
      ),
      // A right password clears the streak: the row goes, or only its counts when other attempts are in flight.
      forget: preparedSql(d1, sql`DELETE FROM login_failures WHERE identifier = ${at('key')} AND ${live} <= ${at('held')}`),
      reset: preparedSql(
        d1,
        sql`UPDATE login_failures SET failures = 0, last_failure_at = 0, locked_until = 0,
          in_flight = max(in_flight - ${at('held')}, 0) WHERE identifier = ${at('key')}`,
      ),
      release: preparedSql(d1, sql`UPDATE login_failures SET in_flight = max(in_flight - 1, 0) WHERE identifier = ${at('key')}`),
    }
  })

  return {
    /** Both rows of an attempt. */
    state: (keys: AttemptKeys): BatchStatement<LockRow[]> => built().state({ a: keys.identifier, b: keys.pair }),

    /** Takes an in-flight slot of one row; no row when refused (locked, full, or the request counter over). */
    admit: (i: AdmitInput): BatchStatement<{ inFlight: number }[]> =>
      built().admit({
        key: i.key,
        now: i.now,
        dayAgo: i.now - DAY_MS,
        staleBefore: i.now - IN_FLIGHT_TTL_MS,
        threshold: i.threshold,
        requestKey: i.request?.key ?? '',
        requestMax: i.request?.max ?? null,
      }),

    /** Records a wrong password on a row. */
    fail: (r: FailureInput) => built().fail({ ...r, dayAgo: r.now - DAY_MS, held: r.held ? 1 : 0 }),

    /** Clears a row's streak after a right password, giving back the slot held. */
    clear: (r: HeldRow) => {
      const v = { key: r.key, held: r.held ? 1 : 0, staleBefore: r.now - IN_FLIGHT_TTL_MS }
      return [built().forget(v), built().reset(v)]
    },

    /** Gives back a row's in-flight slot of an attempt that was then refused. */
    release: (key: string) => built().release({ key }),
  }
}
