import { and, eq, gt, isNull, type Placeholder, sql } from 'drizzle-orm'
import { DAY_MS } from '../../../time'
import { otpChallenges } from '../../db/schema'

const t = otpChallenges

export type Value<T> = T | Placeholder

/** A guess at a challenge: its destination, and the guesser's per-IP-bucket daily failure counter. */
export interface GuessInput {
  id: string
  destination: string
  now: number
  maxFailuresPerDay: number
  /** The rate_limits key counting this destination's wrong guesses from the guesser's IP bucket. */
  failKey: string
}

/**
 * A challenge that may still take a guess: open, unexpired, under its attempt cap, and the
 * guesser's IP bucket under the destination's daily failure cap (its counter `failKey`).
 */
export const liveChallenge = (
  id: Value<string>,
  failKey: Value<string>,
  now: Value<number>,
  dayAgo: Value<number>,
  maxFailuresPerDay: Value<number>,
) =>
  and(
    eq(t.id, id),
    isNull(t.closedAt),
    sql`${t.attempts} < ${t.maxAttempts}`,
    gt(t.expiresAt, now),
    // SPEC §5: refused once this IP bucket has MORE than the cap's wrong guesses at the destination
    // in 24 h; guesses from other buckets never use up the owner's allowance.
    sql`coalesce((SELECT count FROM rate_limits WHERE key = ${failKey} AND window_start > ${dayAgo}), 0) <= ${maxFailuresPerDay}`,
  )

/** `liveChallenge` for a guess. */
export const live = (g: GuessInput) => liveChallenge(g.id, g.failKey, g.now, g.now - DAY_MS, g.maxFailuresPerDay)

/** The phone or email column a destination (`sms:…` / `email:…`) is held in, as holder placeholders' values. */
export function holderValues(destination: string): { holderPhone: string | null; holderEmail: string | null } {
  const [channel, ...rest] = destination.split(':')
  const address = rest.join(':')
  return channel === 'sms' ? { holderPhone: address, holderEmail: null } : { holderPhone: null, holderEmail: address }
}

/** A column of the account of `pool` holding a phone or an email, as a subquery. */
export const holderOf = (
  column: 'id' | 'created_at',
  phone: Value<string | null>,
  email: Value<string | null>,
  pool: Value<string>,
) => sql`(SELECT ${sql.raw(column)} FROM users WHERE pool = ${pool} AND (phone = ${phone} OR email = ${email}))`

/**
 * SPEC §5: the challenge is bound to the account holding its destination now, as it was when the
 * code was sent (same id, same `created_at`), or both are none. A code never serves another account.
 */
export const boundToHolder = (phone: Value<string | null>, email: Value<string | null>, pool: Value<string>) =>
  sql`${t.pool} = ${pool} AND coalesce(${t.userId}, '') = coalesce(${holderOf('id', phone, email, pool)}, '')
    AND coalesce(${t.userStamp}, -1) = coalesce(${holderOf('created_at', phone, email, pool)}, -1)`
