import { and, eq, gt, isNull, lt, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type BatchStatement, once, prepared, preparedSql, runBatch } from '../db/prepared'
import {
  type AuditRow,
  type DeviceRow,
  type MfaTokenRow,
  mfaTokens,
  type PasskeyRow,
  passkeys,
  type TotpRow,
  totpCredentials,
  type UserRow,
  users,
} from '../db/schema'
import type { PermissionGrant } from './permission-grants'
import { type HitRow, hitValues, preparedHit } from './rate-limits'
import { type FactorProof, factorStatements, spend } from './second-factors'
import { type NewSession, sessionOpening } from './session-opening'

const at = sql.placeholder

/** A new mfa token: its hash, its user, the first factor's `amr`, and its lifetime. */
export interface NewMfaToken {
  hash: string
  userId: string
  amr: string
  now: number
  expiresAt: number
}

/**
 * The insert of an mfa token, made only where `when` holds (over the caller's placeholders, and
 * `mfaHash`, `userId`, `mfaAmr`, `now`, `mfaExpiresAt`): a code sign-in issues one in the batch
 * that consumes the code, instead of opening a session, when the account has MFA on.
 */
export function preparedMfaTokenInsert(d1: D1Database, when: SQL, pool: string) {
  return preparedSql(
    d1,
    sql`INSERT INTO mfa_tokens (hash, user_id, pool, amr, created_at, expires_at, attempts)
    SELECT ${at('mfaHash')}, ${at('userId')}, ${pool}, ${at('mfaAmr')}, ${at('now')}, ${at('mfaExpiresAt')}, 0 WHERE ${when}
    RETURNING hash`,
  )
}

/** The values of `preparedMfaTokenInsert`'s own placeholders. */
export const mfaTokenValues = (t: NewMfaToken) => ({
  mfaHash: t.hash,
  userId: t.userId,
  mfaAmr: t.amr,
  now: t.now,
  mfaExpiresAt: t.expiresAt,
})

/** What the first round of `POST /auth/mfa/verify` read and decided. */
export interface MfaAttempt {
  /** The per-IP request counter as hit. */
  limit: HitRow | undefined
  /** The token, when this request took one of its attempts (live, unused, attempts left, under the limit). */
  taken: MfaTokenRow | undefined
  /** The token as it is after this round (to say why it was refused). */
  token: MfaTokenRow | undefined
  user: UserRow | undefined
  totp: TotpRow | undefined
  /** The passkey with the asked credential id, when it is the token's user's (of this pool). */
  passkey: PasskeyRow | undefined
}

/**
 * A passkey assertion as D1 spends it: its challenge (used once, by this request), and the
 * counter it carries (moved forward, or refused) with the backup state its flags say.
 */
export interface PasskeyProof {
  passkeyId: string
  challengeId: string
  counter: number
  backedUp: boolean
}

/** The second round: the factor spent, the token consumed, and the session opened, all or nothing. */
export interface MfaCompletion {
  hash: string
  userId: string
  factor: FactorProof | { passkey: PasskeyProof }
  now: number
  session: NewSession
  audit: AuditRow
}

/** One pool's mfa tokens (SPEC §14): a token works only on its pool's routes. */
export function mfaTokensRepo(db: Db, pool: string) {
  const d1 = db.$client
  const ownerOf = db
    .select({ id: mfaTokens.userId })
    .from(mfaTokens)
    .where(and(eq(mfaTokens.hash, at('hash')), eq(mfaTokens.pool, pool)))
  const q = once(() => {
    // A factor is spent only for a token still live: a token lost to a concurrent request burns no recovery code.
    const factors = factorStatements(
      db,
      sql`EXISTS (SELECT 1 FROM mfa_tokens WHERE hash = ${at('hash')} AND pool = ${pool} AND user_id = ${at('userId')}
        AND used_at IS NULL AND expires_at > ${at('now')})`,
    )
    const live = sql`EXISTS (SELECT 1 FROM mfa_tokens WHERE hash = ${at('hash')} AND pool = ${pool} AND user_id = ${at('userId')}
      AND used_at IS NULL AND expires_at > ${at('now')})`
    // A passkey's challenge used by this request (`proof`), and its counter moved by it.
    const claimedHere = sql`EXISTS (SELECT 1 FROM webauthn_challenges WHERE id = ${at('challengeId')} AND used_by = ${at('proof')})`
    const passkeyProved = sql`(${claimedHere} AND EXISTS (SELECT 1 FROM passkeys
      WHERE id = ${at('passkeyId')} AND user_id = ${at('userId')} AND last_challenge = ${at('challengeId')}))`
    const consumed = sql`EXISTS (SELECT 1 FROM mfa_tokens WHERE hash = ${at('hash')} AND used_by = ${at('sessionId')})`
    const active = sql`EXISTS (SELECT 1 FROM users WHERE id = ${at('userId')} AND status = 'active')`
    return {
      factors,
      prune: preparedSql(
        d1,
        sql`DELETE FROM mfa_tokens WHERE user_id = ${at('userId')} AND (expires_at <= ${at('now')} OR used_at IS NOT NULL)`,
      ),
      insert: preparedMfaTokenInsert(d1, sql`1`, pool),
      hit: preparedHit(d1),
      take: prepared(
        d1,
        db
          .update(mfaTokens)
          .set({ attempts: sql`${mfaTokens.attempts} + 1` })
          .where(
            and(
              eq(mfaTokens.hash, at('hash')),
              eq(mfaTokens.pool, pool),
              isNull(mfaTokens.usedAt),
              gt(mfaTokens.expiresAt, at('now')),
              lt(mfaTokens.attempts, at('maxAttempts')),
              // A request over the per-IP limit takes no attempt.
              sql`(SELECT count FROM rate_limits WHERE key = ${at('key')}) <= ${at('limitMax')}`,
            ),
          )
          .returning()
          .prepare(),
      ),
      token: prepared(
        d1,
        db
          .select()
          .from(mfaTokens)
          .where(and(eq(mfaTokens.hash, at('hash')), eq(mfaTokens.pool, pool)))
          .prepare(),
      ),
      user: prepared(d1, db.select().from(users).where(eq(users.id, ownerOf)).prepare()),
      totp: prepared(d1, db.select().from(totpCredentials).where(eq(totpCredentials.userId, ownerOf)).prepare()),
      passkey: prepared(
        d1,
        db
          .select()
          .from(passkeys)
          .where(and(eq(passkeys.pool, pool), eq(passkeys.credentialId, at('credentialId')), eq(passkeys.userId, ownerOf)))
          .prepare(),
      ),
      // Single use whatever else happens: a sign-in's challenge of this pool, live and unused.
      claimChallenge: preparedSql(
        d1,
        sql`UPDATE webauthn_challenges SET used_by = ${at('proof')}
        WHERE id = ${at('challengeId')} AND kind = 'authentication' AND pool = ${pool}
          AND expires_at > ${at('now')} AND used_by IS NULL RETURNING id`,
      ),
      // Forward only (or 0 kept by an authenticator that counts nothing), for a live token only.
      count: preparedSql(
        d1,
        sql`UPDATE passkeys SET counter = ${at('counter')}, backed_up = ${at('backedUp')}, last_used_at = ${at('now')},
          last_challenge = ${at('challengeId')}
        WHERE id = ${at('passkeyId')} AND pool = ${pool} AND user_id = ${at('userId')} AND ${claimedHere} AND ${live}
          AND (counter < ${at('counter')} OR (counter = 0 AND ${at('counter')} = 0))
        RETURNING id`,
      ),
      dropChallenge: preparedSql(
        d1,
        sql`DELETE FROM webauthn_challenges WHERE id = ${at('challengeId')} AND used_by = ${at('proof')}`,
      ),
      consume: preparedSql(
        d1,
        sql`UPDATE mfa_tokens SET used_at = ${at('now')}, used_by = ${at('sessionId')}
        WHERE hash = ${at('hash')} AND pool = ${pool} AND user_id = ${at('userId')} AND used_at IS NULL
          AND expires_at > ${at('now')} AND (${factors.proved} OR ${passkeyProved}) RETURNING hash`,
      ),
      opening: sessionOpening(db, sql`${consumed} AND ${active}`, pool),
    }
  })

  return {
    /** Issues a token for a first factor just passed, dropping the user's spent ones: one round trip. */
    async issue(t: NewMfaToken): Promise<void> {
      const s = q()
      const values = mfaTokenValues(t)
      await runBatch(d1, [s.prune(values), s.insert(values)])
    },

    /**
     * The first round of a second step: counts the per-IP request `limit`, takes one of the
     * token's attempts (before the factor is evaluated: concurrent guesses never exceed
     * `maxAttempts`), and reads the token, its user and the user's TOTP row: one round trip.
     */
    async attempt(i: {
      hash: string
      now: number
      maxAttempts: number
      limit: { key: string; windowMs: number; max: number }
      /** A passkey assertion's credential id: its passkey is read too, if it is the token's user's. */
      credentialId?: string | undefined
    }): Promise<MfaAttempt> {
      const s = q()
      // `now` is the hit's too (hitValues).
      const values = {
        hash: i.hash,
        maxAttempts: i.maxAttempts,
        ...hitValues(i.limit.key, i.limit.windowMs, i.now),
        limitMax: i.limit.max,
        credentialId: i.credentialId ?? null,
      }
      const head = [s.hit(values), s.take(values), s.token(values), s.user(values), s.totp(values)] as const
      if (i.credentialId === undefined) {
        const [hit, taken, token, user, totp] = await runBatch(d1, head)
        return { limit: hit[0], taken: taken[0], token: token[0], user: user[0], totp: totp[0], passkey: undefined }
      }
      const [hit, taken, token, user, totp, passkey] = await runBatch(d1, [...head, s.passkey(values)])
      return { limit: hit[0], taken: taken[0], token: token[0], user: user[0], totp: totp[0], passkey: passkey[0] }
    },

    /**
     * The second round, one transaction: spends the factor (a TOTP step above the last accepted,
     * or an unused recovery code), consumes the token if that won, and opens the session (with
     * its stamp, devices, grants and audit row) if the token was consumed by this request.
     */
    async complete(c: MfaCompletion): Promise<{
      /** The factor was spent by this request (for a passkey: its counter moved forward). */
      spent: boolean
      /** A passkey's challenge was live and unused, and this request used it. */
      challenge: boolean
      opened: { user: UserRow; devices: DeviceRow[]; grants: PermissionGrant[] } | undefined
    }> {
      const s = q()
      const base = { hash: c.hash, userId: c.userId, now: c.now, proof: c.session.id, sessionId: c.session.id }
      let spending: BatchStatement<unknown[]>[]
      let values: Record<string, unknown>
      if ('passkey' in c.factor) {
        const p = c.factor.passkey
        values = { ...base, ...p, backedUp: p.backedUp ? 1 : 0 }
        spending = [s.claimChallenge(values), s.count(values)]
      } else {
        const spent = spend(s.factors, c.factor)
        values = { ...base, ...spent.values, challengeId: null, passkeyId: null }
        spending = [spent.statement(values)]
      }
      const [insert, stamp, devices, grants, ...record] = s.opening.statements(c.session, c.audit, values)
      // Last, the passkey's challenge and the user's spent tokens go (this one included: its session is open).
      const all: BatchStatement<unknown>[] = [
        ...spending,
        s.consume(values),
        insert,
        stamp,
        devices,
        grants,
        ...record,
        ...('passkey' in c.factor ? [s.dropChallenge(values)] : []),
        s.prune(values),
      ]
      const results = await d1.batch(all.map((x) => x.statement))
      const read = <R>(x: BatchStatement<R>): R => x.read(results[all.indexOf(x)] as D1Result)
      const user = read(stamp)[0]
      const spent = read(spending[spending.length - 1] as BatchStatement<unknown[]>).length === 1
      return {
        spent,
        challenge: spending.length === 1 || read(spending[0] as BatchStatement<unknown[]>).length === 1,
        opened: user && { user, devices: read(devices), grants: read(grants) },
      }
    },
  }
}

export type MfaTokensRepo = ReturnType<typeof mfaTokensRepo>
