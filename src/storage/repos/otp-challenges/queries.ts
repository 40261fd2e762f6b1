import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { prepared, preparedSql } from '../../db/prepared'
import { otpChallenges as t } from '../../db/schema'
import { preparedHit } from '../rate-limits'
import { holderOf, liveChallenge } from './conditions'

const at = sql.placeholder

/** The challenges' statements, prepared once per D1 binding (see prepared.ts) and shared by the repositories using them. */
function build(db: Db) {
  const d1 = db.$client
  // `gated` statements are made only while the endpoint's request counter (`requestKey`, `requestMax`) is under its limit.
  const underRequestLimit = sql`(SELECT count FROM rate_limits WHERE key = ${at('requestKey')}) <= ${at('requestMax')}`
  const created = sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('id')})`
  const holder = (column: 'id' | 'created_at') => holderOf(column, at('holderPhone'), at('holderEmail'), at('pool'))
  const insert = (gated: boolean) =>
    preparedSql<{ id: string }>(
      d1,
      sql`INSERT INTO otp_challenges (id, destination, pool, purpose, max_attempts, created_at, expires_at, user_id, user_stamp)
      SELECT ${at('id')}, ${at('destination')}, ${at('pool')}, ${at('purpose')}, ${at('maxAttempts')}, ${at('now')}, ${at('expiresAt')},
        ${holder('id')}, ${holder('created_at')}
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
      WHERE destination = ${at('destination')} AND pool = ${at('pool')} AND purpose = ${at('purpose')} AND closed_at IS NULL
        AND id <> ${at('id')} AND ${created}`,
    ),
    chargedHit: preparedHit(d1, created),
    bind: preparedSql(
      d1,
      sql`UPDATE otp_challenges SET user_id = ${holder('id')}, user_stamp = ${holder('created_at')} WHERE id = ${at('id')}`,
    ),
    // With a `stamp`, only if the registration wrote the account (it holds the destination with that created_at).
    closeBound: preparedSql(
      d1,
      sql`UPDATE otp_challenges SET closed_at = ${at('now')}
      WHERE destination = ${at('destination')} AND pool = ${at('pool')} AND purpose = ${at('purpose')} AND closed_at IS NULL
        AND id <> ${at('id')}
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
    failHit: preparedHit(d1, sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('id')} AND last_guess = ${at('guessId')})`),
  }
}

export type ChallengeQueries = ReturnType<typeof build>

const built = new WeakMap<D1Database, ChallengeQueries>()

/** The challenges' prepared statements for this database, built on first use. */
export function challengeQueries(db: Db): ChallengeQueries {
  let q = built.get(db.$client)
  if (!q) {
    q = build(db)
    built.set(db.$client, q)
  }
  return q
}
