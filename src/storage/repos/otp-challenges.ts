import { and, eq, gt, inArray, isNull, or, type Placeholder, sql } from 'drizzle-orm'
import { DAY_MS } from '../../time'
import type { Db } from '../db/client'
import { type BatchStatement, once, prepared, preparedSql, runBatch } from '../db/prepared'
import { otpChallenges } from '../db/schema'
import { type Hit, type HitRow, hitValues, preparedHit, toHit } from './rate-limits'

export interface ReserveInput {
  id: string
  destination: string
  purpose: string
  maxAttempts: number
  now: number
  expiresAt: number
  cooldownMs: number
  dailyLimit: number
  /** The sender's counter (per IP), hit first: over its limit, no challenge is made. */
  sender: { key: string; windowMs: number; limit: number }
  /** Counters hit only when the challenge is made (an SMS's prefix and country). */
  charged: { keys: string[]; windowMs: number }
  /**
   * The endpoint's per-IP request counter, hit before everything: over its limit, nothing else
   * is counted or made (the limit a middleware would apply, without a round trip of its own).
   */
  request?: { key: string; windowMs: number; max: number }
  /** Whether the destination's older open code of this purpose closes now (default); else see `bindStatements`. */
  closeOlder?: boolean
}

/** A registration's challenge to bind; with `stamp`, older codes close only if the account now has that created_at. */
export interface BindInput {
  id: string
  destination: string
  purpose: string
  now: number
  stamp?: number
}

/** A guess at a challenge: its destination, and the guesser's per-IP-bucket daily failure counter. */
export interface GuessInput {
  id: string
  destination: string
  now: number
  maxFailuresPerDay: number
  /** The rate_limits key counting this destination's wrong guesses from the guesser's IP bucket. */
  failKey: string
}

export type ReserveResult =
  | { ok: true; charged: Hit[] }
  | { ok: false; limit: 'request' | 'sender' | 'cooldown' | 'daily'; retryAfterMs: number }

const t = otpChallenges

type Value<T> = T | Placeholder

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

const live = (g: GuessInput) => liveChallenge(g.id, g.failKey, g.now, g.now - DAY_MS, g.maxFailuresPerDay)

/** The phone or email column a destination (`sms:…` / `email:…`) is held in, as holder placeholders' values. */
export function holderValues(destination: string): { holderPhone: string | null; holderEmail: string | null } {
  const [channel, ...rest] = destination.split(':')
  const address = rest.join(':')
  return channel === 'sms' ? { holderPhone: address, holderEmail: null } : { holderPhone: null, holderEmail: address }
}

const holderOf = (column: 'id' | 'created_at', phone: Value<string | null>, email: Value<string | null>) =>
  sql`(SELECT ${sql.raw(column)} FROM users WHERE phone = ${phone} OR email = ${email})`

/**
 * SPEC §5: the challenge is bound to the account holding its destination now, as it was when the
 * code was sent (same id, same `created_at`), or both are none. A code never serves another account.
 */
export const boundToHolder = (phone: Value<string | null>, email: Value<string | null>) =>
  sql`coalesce(${t.userId}, '') = coalesce(${holderOf('id', phone, email)}, '')
    AND coalesce(${t.userStamp}, -1) = coalesce(${holderOf('created_at', phone, email)}, -1)`

const CHANGE_PURPOSES = ['email_change', 'phone_change']

export function otpChallengesRepo(db: Db) {
  const at = sql.placeholder
  // The reservation's statements, built once (see prepared.ts); `gated` ones are made only while
  // the endpoint's request counter (`requestKey`, `requestMax`) is under its limit.
  const reservation = once(() => {
    const d1 = db.$client
    const underRequestLimit = sql`(SELECT count FROM rate_limits WHERE key = ${at('requestKey')}) <= ${at('requestMax')}`
    const created = sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('id')})`
    const insert = (gated: boolean) =>
      preparedSql<{ id: string }>(
        d1,
        sql`INSERT INTO otp_challenges (id, destination, purpose, max_attempts, created_at, expires_at, user_id, user_stamp)
        SELECT ${at('id')}, ${at('destination')}, ${at('purpose')}, ${at('maxAttempts')}, ${at('now')}, ${at('expiresAt')},
          ${holderOf('id', at('holderPhone'), at('holderEmail'))}, ${holderOf('created_at', at('holderPhone'), at('holderEmail'))}
        WHERE ${gated ? underRequestLimit : sql`1`}
          AND (SELECT count FROM rate_limits WHERE key = ${at('senderKey')}) <= ${at('senderLimit')}
          AND NOT EXISTS (SELECT 1 FROM otp_challenges WHERE destination = ${at('destination')} AND created_at > ${at('cooldownSince')})
          AND (SELECT count(*) FROM otp_challenges WHERE destination = ${at('destination')} AND created_at > ${at('dayAgo')}) < ${at('dailyLimit')}
        RETURNING id`,
      )
    const hit = preparedHit(d1)
    return {
      hit,
      senderHit: { open: hit, gated: preparedHit(d1, underRequestLimit) },
      insert: { open: insert(false), gated: insert(true) },
      closeOlder: preparedSql(
        d1,
        sql`UPDATE otp_challenges SET closed_at = ${at('now')}
        WHERE destination = ${at('destination')} AND purpose = ${at('purpose')} AND closed_at IS NULL AND id <> ${at('id')} AND ${created}`,
      ),
      chargedHit: preparedHit(d1, created),
      bind: preparedSql(
        d1,
        sql`UPDATE otp_challenges SET user_id = ${holderOf('id', at('holderPhone'), at('holderEmail'))},
          user_stamp = ${holderOf('created_at', at('holderPhone'), at('holderEmail'))}
        WHERE id = ${at('id')}`,
      ),
      // With a `stamp`, only if the registration wrote the account (it holds the destination with that created_at).
      closeBound: preparedSql(
        d1,
        sql`UPDATE otp_challenges SET closed_at = ${at('now')}
        WHERE destination = ${at('destination')} AND purpose = ${at('purpose')} AND closed_at IS NULL AND id <> ${at('id')}
          AND EXISTS (SELECT 1 FROM otp_challenges n WHERE n.id = ${at('id')} AND (${at('stamp')} IS NULL OR n.user_stamp = ${at('stamp')}))`,
      ),
      spend: prepared(
        d1,
        db
          .update(t)
          .set({ attempts: sql`${t.attempts} + 1`, failures: sql`${t.failures} + 1`, lastGuess: sql`${at('guessId')}` })
          .where(liveChallenge(at('id'), at('failKey'), at('now'), at('dayAgo'), at('maxFailures')))
          .returning({ id: t.id })
          .prepare(),
      ),
      // Counted only if this very guess was taken (the row carries its id), in the same transaction.
      failHit: preparedHit(
        d1,
        sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('id')} AND last_guess = ${at('guessId')})`,
      ),
    }
  })

  return {
    /**
     * Hits the sender's counter and creates a challenge only if the sender is under its limit
     * and the destination outside its resend cooldown and under its daily cap; closes the
     * destination's older open challenge of the same purpose and hits the `charged` counters.
     * One D1 batch of conditional statements (one transaction), so concurrent requests cannot
     * both pass a limit, and a refused send charges only the sender's counter. With a `request`
     * counter, it is hit first and gates everything else; `read` runs in the same batch.
     */
    async reserve<R = undefined>(i: ReserveInput, read?: BatchStatement<R>): Promise<ReserveResult & { read: R | undefined }> {
      const q = reservation()
      const request = i.request
      const gate = request ? 'gated' : 'open'
      const values = {
        id: i.id,
        destination: i.destination,
        purpose: i.purpose,
        maxAttempts: i.maxAttempts,
        now: i.now,
        expiresAt: i.expiresAt,
        senderKey: i.sender.key,
        senderLimit: i.sender.limit,
        cooldownSince: i.now - i.cooldownMs,
        dayAgo: i.now - DAY_MS,
        dailyLimit: i.dailyLimit,
        requestKey: request?.key,
        requestMax: request?.max,
        ...holderValues(i.destination),
      }
      const statements = [
        ...(request ? [q.hit(hitValues(request.key, request.windowMs, i.now))] : []),
        ...(read ? [read] : []),
        q.senderHit[gate]({ ...values, ...hitValues(i.sender.key, i.sender.windowMs, i.now) }),
        q.insert[gate](values),
        ...(i.closeOlder === false ? [] : [q.closeOlder(values)]),
        ...i.charged.keys.map((key) => q.chargedHit({ ...values, ...hitValues(key, i.charged.windowMs, i.now) })),
      ]
      const results = await db.$client.batch(statements.map((x) => x.statement))
      const requestHit = request ? (results.shift() as D1Result<HitRow>) : undefined
      const readResult = read ? read.read(results.shift() as D1Result) : undefined
      if (i.closeOlder !== false) results.splice(2, 1)
      const [hit, inserted, ...charged] = results as D1Result<HitRow & { id: string }>[]
      if (!hit || !inserted) throw new Error('D1 batch returned no result')
      const refused = (limit: 'request' | 'sender' | 'cooldown' | 'daily', retryAfterMs: number) =>
        ({ ok: false, limit, retryAfterMs, read: readResult }) as const
      if (request) {
        const perRequest = toHit(requestHit?.results[0], request.windowMs, i.now)
        if (perRequest.count > request.max) return refused('request', perRequest.resetInMs)
      }
      // The returned row, not `meta.changes`, says whether this call inserted (definitive under concurrency).
      if (inserted.results.length === 1) {
        return { ok: true, charged: charged.map((r) => toHit(r.results[0], i.charged.windowMs, i.now)), read: readResult }
      }
      const perSender = toHit(hit.results[0], i.sender.windowMs, i.now)
      if (perSender.count > i.sender.limit) return refused('sender', perSender.resetInMs)

      const recent = await db
        .select({ createdAt: t.createdAt })
        .from(t)
        .where(and(eq(t.destination, i.destination), gt(t.createdAt, i.now - DAY_MS)))
        .orderBy(t.createdAt)
        .all()
      const latest = recent.at(-1)?.createdAt ?? i.now
      if (latest > i.now - i.cooldownMs) return refused('cooldown', latest + i.cooldownMs - i.now)
      const oldest = recent[0]?.createdAt ?? i.now
      return refused('daily', oldest + DAY_MS - i.now)
    },

    /** Forgets a challenge whose code could not be delivered: it must not count against the cooldown. */
    release: (id: string) => db.delete(t).where(eq(t.id, id)).run(),

    /**
     * Spends one attempt on a live challenge with a wrong guess, atomically: the row must be
     * open, unexpired, under its attempt cap, and the guesser's IP bucket under its daily failure
     * cap. The guess is counted on that bucket's counter in the same batch: counting it later would
     * let concurrent guesses pass the daily cap. False when the challenge took no guess.
     */
    async spendAttempt(g: GuessInput, guessId: string): Promise<boolean> {
      const q = reservation()
      const values = {
        id: g.id,
        failKey: g.failKey,
        now: g.now,
        dayAgo: g.now - DAY_MS,
        maxFailures: g.maxFailuresPerDay,
        guessId,
      }
      const [spent] = await runBatch(db.$client, [
        q.spend(values),
        q.failHit({ ...values, ...hitValues(g.failKey, DAY_MS, g.now) }),
      ])
      return spent.length === 1
    },

    /**
     * Uses the challenge with a right guess, under the same conditions as `spendAttempt` and only
     * while it is bound to the destination's holder (`boundToHolder`): spends the attempt and
     * closes it. True only for the one caller that consumed it.
     */
    async consume(g: GuessInput) {
      const { holderPhone, holderEmail } = holderValues(g.destination)
      const used = await db
        .update(t)
        .set({ attempts: sql`${t.attempts} + 1`, closedAt: g.now })
        // A contact change's code confirms an address nobody may hold yet: it is bound to the account
        // asking for the change by that account's pending column, checked where the change is applied.
        .where(and(live(g), or(inArray(t.purpose, CHANGE_PURPOSES), boundToHolder(holderPhone, holderEmail))))
        .returning({ id: t.id })
      return used.length === 1
    },

    /**
     * For a registration: binds challenge `id` to the account now holding its destination, and
     * closes that destination's older open codes of `purpose`; statements for the batch that
     * writes the account (see users.savePending).
     */
    bindStatements(i: BindInput): BatchStatement<unknown>[] {
      const q = reservation()
      const values = { ...i, stamp: i.stamp ?? null, ...holderValues(i.destination) }
      return [q.bind(values), q.closeBound(values)]
    },

    /** Runs `bindStatements` on their own (a registration that writes no account). */
    async settle(i: BindInput): Promise<void> {
      await db.$client.batch(this.bindStatements(i).map((x) => x.statement))
    },

    byId: (id: string) => db.select().from(t).where(eq(t.id, id)).get(),

    /** Closes the open challenges of a purpose at these destinations: their codes stop working. */
    closeOpen: (destinations: string[], purpose: string, now: number) =>
      destinations.length === 0
        ? Promise.resolve()
        : db
            .update(t)
            .set({ closedAt: now })
            .where(and(inArray(t.destination, destinations), eq(t.purpose, purpose), isNull(t.closedAt)))
            .run(),

    /**
     * When the daily failure counter `failKey` is over `max`, the time its window ends (Retry-After);
     * null when it is not over `max` now.
     */
    async failuresClearAt(failKey: string, now: number, max: number): Promise<number | null> {
      const row = await db.get<{ count: number; windowStart: number } | undefined>(
        sql`SELECT count, window_start AS windowStart FROM rate_limits WHERE key = ${failKey} AND window_start > ${now - DAY_MS}`,
      )
      return row && row.count > max ? row.windowStart + DAY_MS : null
    },
  }
}

export type OtpChallengesRepo = ReturnType<typeof otpChallengesRepo>
