import { sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type BatchStatement, once, preparedSql, runBatch } from '../db/prepared'
import type { UserRow } from '../db/schema'
import { type AttemptKeys, type FailureInput, type HeldRow, type LockRow, loginFailureStatements } from './login-failures'
import { type HitRow, hitValues, preparedHit } from './rate-limits'
import { preparedHolder } from './users'

export type { AttemptKeys, LockRow } from './login-failures'

/** Where an attempt stands with the lockout: both rows, and which of them it holds an in-flight slot of. */
export interface Admission {
  rows: LockRow[]
  identifier: boolean
  pair: boolean
}

export interface BeginInput {
  keys: AttemptKeys
  now: number
  threshold: number
  /** The endpoint's per-IP request limit, counted first: over it, no slot is taken. */
  limit?: { key: string; windowMs: number; max: number } | undefined
  /** The account the identifier names, looked up in the same round trip. */
  lookup?: { column: 'phone' | 'email' | 'username'; value: string } | undefined
}

export interface Begun {
  /** The request counter after this hit (undefined without `limit`). */
  limit: HitRow | undefined
  admission: Admission
  /** The account `lookup` found, if any. */
  user: UserRow | undefined
}

/**
 * Password attempts under the lockout (SPEC §6.1), one intent per call: each call is one D1 round
 * trip (one batch), whatever it counts, admits or looks up.
 */
export function passwordAttemptsRepo(db: Db, pool: string) {
  const d1 = db.$client
  const rows = loginFailureStatements(d1)
  const built = once(() => ({
    hit: preparedHit(d1),
    phone: preparedHolder(db, 'phone', pool),
    email: preparedHolder(db, 'email', pool),
    username: preparedHolder(db, 'username', pool),
    recentIps: preparedSql<{ ip: string }>(
      d1,
      sql`SELECT ip FROM sessions WHERE user_id = ${sql.placeholder('userId')} AND created_at >= ${sql.placeholder('since')}
        AND ip IS NOT NULL GROUP BY ip ORDER BY max(created_at) DESC LIMIT 100`,
    ),
  }))

  /**
   * The state of both rows and a slot of each wanted one, in one batch with `before` (statements run
   * ahead of the slots: a request counter there is hit before they read it). `read` gives their results.
   */
  async function admission(
    i: Omit<BeginInput, 'lookup'>,
    want: { identifier: boolean; pair: boolean },
    before: BatchStatement<unknown>[] = [],
  ) {
    const base = { now: i.now, threshold: i.threshold, request: i.limit && { key: i.limit.key, max: i.limit.max } }
    const identifier = want.identifier ? rows.admit({ ...base, key: i.keys.identifier }) : undefined
    const pair = want.pair ? rows.admit({ ...base, key: i.keys.pair }) : undefined
    const state = rows.state(i.keys)
    const batch = [state, ...before, ...(identifier ? [identifier] : []), ...(pair ? [pair] : [])]
    const results = await runBatch(d1, batch)
    const read = <R>(s: BatchStatement<R>) => results[batch.indexOf(s)] as R
    const admitted = (s: BatchStatement<unknown[]> | undefined) => s !== undefined && read(s).length === 1
    const held: Admission = { rows: read(state), identifier: admitted(identifier), pair: admitted(pair) }
    return { held, read }
  }

  return {
    /**
     * The first round of a password attempt, before any hashing: counts the request limit (if
     * given), reads both lockout rows, takes a slot of each unless locked or full (or over the
     * limit), and looks up the account (if asked): one round trip.
     */
    async begin(i: BeginInput): Promise<Begun> {
      const hit = i.limit && built().hit(hitValues(i.limit.key, i.limit.windowMs, i.now))
      const holder = i.lookup && built()[i.lookup.column]({ value: i.lookup.value })
      const before = [...(hit ? [hit] : []), ...(holder ? [holder] : [])]
      const { held, read } = await admission(i, { identifier: true, pair: true }, before)
      return { limit: hit && read(hit)[0], admission: held, user: holder && read(holder)[0] }
    },

    /** Another admission round for the rows not held yet, with their state: one round trip. */
    async again(i: { keys: AttemptKeys; want: { identifier: boolean; pair: boolean }; now: number; threshold: number }) {
      return (await admission(i, i.want)).held
    },

    /** Records wrong passwords on rows (one round trip). */
    async fail(failed: FailureInput[]): Promise<void> {
      await runBatch(d1, failed.map(rows.fail))
    },

    /** Clears the streaks of rows after a right password, giving back the slots held (one round trip). */
    async clear(cleared: HeldRow[]): Promise<void> {
      await runBatch(d1, cleared.flatMap(rows.clear))
    },

    /** Gives back in-flight slots of an attempt that was then refused (one round trip). */
    async release(keys: string[]): Promise<void> {
      if (keys.length) await runBatch(d1, keys.map(rows.release))
    },

    /** The addresses a user opened sessions from since `since`, newest first (ended sessions are kept 30 days: services/sessions ENDED_SESSIONS_KEPT_MS). */
    async recentSignInIps(userId: string, since: number): Promise<string[]> {
      const [found] = await runBatch(d1, [built().recentIps({ userId, since })])
      return found.map((r) => r.ip)
    },
  }
}

export type PasswordAttemptsRepo = ReturnType<typeof passwordAttemptsRepo>
