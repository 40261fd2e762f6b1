import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type BatchStatement, once, prepared, preparedSql, runBatch } from '../db/prepared'
import { type AuditRow, type DeviceRow, MFA_METHOD, type PasskeyRow, passkeys, type UserRow, users } from '../db/schema'
import type { PermissionGrant } from './permission-grants'
import { type HitRow, hitValues, preparedHit } from './rate-limits'
import { type NewSession, sessionOpening } from './session-opening'
import type { HolderColumn } from './user-queries'

export type NewPasskey = Omit<PasskeyRow, 'pool' | 'lastUsedAt' | 'lastChallenge'>

/** A challenge about to be handed out: SHA-256 (hex) of its bytes, and when it dies. */
export interface NewChallenge {
  id: string
  expiresAt: number
}

/** A per-IP request counter hit in the intent's batch (services/limits `requestCounter`). */
export interface Limit {
  key: string
  windowMs: number
  max: number
}

export interface CompleteSignIn {
  challengeId: string
  passkey: Pick<PasskeyRow, 'id' | 'userId'>
  /** The counter the verified assertion carries, and the backup state its flags say. */
  counter: number
  backedUp: boolean
  now: number
  session: NewSession
  audit: AuditRow
}

export interface SignInOutcome {
  /** The challenge was live, unused, of this pool and a sign-in's: this batch used it. */
  challenge: boolean
  /** The counter moved forward (or both are 0): another sign-in with the same counter lost. */
  counted: boolean
  opened: { user: UserRow; devices: DeviceRow[]; grants: PermissionGrant[] } | undefined
}

const at = sql.placeholder
// Expired challenges are dropped a few at a time by whoever asks for a new one (no cron).
const PRUNE = 20

/**
 * One pool's passkeys and WebAuthn challenges (SPEC §12, §14): lookups by credential id or by
 * identifier find that pool's passkeys only, and a challenge serves the pool it was issued in.
 * Each intent is one D1 batch; single use is one conditional UPDATE (`used_by`), and the rest of
 * its batch checks that it won.
 */
export function passkeysRepo(db: Db, pool: string) {
  const d1 = db.$client
  const q = once(() => {
    const underLimit = sql`(SELECT count FROM rate_limits WHERE key = ${at('key')}) <= ${at('limitMax')}`
    const newChallenge = (when: ReturnType<typeof sql>) =>
      preparedSql(
        d1,
        sql`INSERT INTO webauthn_challenges (id, kind, pool, user_id, expires_at)
        SELECT ${at('challengeId')}, ${at('kind')}, ${pool}, ${at('userId')}, ${at('expiresAt')} WHERE ${when}`,
      )
    const claim = (kind: 'registration' | 'authentication', user: ReturnType<typeof sql>) =>
      preparedSql<{ id: string }>(
        d1,
        sql`UPDATE webauthn_challenges SET used_by = ${at('usedBy')}
        WHERE id = ${at('challengeId')} AND kind = ${kind} AND pool = ${pool} AND ${user}
          AND expires_at > ${at('now')} AND used_by IS NULL RETURNING id`,
      )
    const ofUser = prepared(
      d1,
      db
        .select()
        .from(passkeys)
        .where(and(eq(passkeys.pool, pool), eq(passkeys.userId, at('userId'))))
        .orderBy(asc(passkeys.createdAt), asc(passkeys.id))
        .prepare(),
    )
    const holderPasskeys = (column: HolderColumn) =>
      prepared(
        d1,
        db
          .select()
          .from(passkeys)
          .where(
            and(
              eq(passkeys.pool, pool),
              sql`${passkeys.userId} = (SELECT id FROM users WHERE pool = ${pool} AND ${sql.identifier(column)} = ${at('value')})`,
            ),
          )
          .orderBy(asc(passkeys.createdAt), asc(passkeys.id))
          .prepare(),
      )
    const holder = (column: HolderColumn) =>
      prepared(
        d1,
        db
          .select()
          .from(users)
          .where(and(eq(users.pool, pool), eq(users[column], at('value'))))
          .prepare(),
      )
    return {
      hit: preparedHit(d1),
      prune: preparedSql(
        d1,
        sql`DELETE FROM webauthn_challenges WHERE id IN
        (SELECT id FROM webauthn_challenges WHERE expires_at <= ${at('now')} LIMIT ${sql.raw(String(PRUNE))})`,
      ),
      // A registration's challenge exists only for an account of this pool.
      registrationChallenge: newChallenge(sql`EXISTS (SELECT 1 FROM users WHERE id = ${at('userId')} AND pool = ${pool})`),
      // A sign-in's, only under the per-IP request limit.
      signInChallenge: newChallenge(underLimit),
      user: prepared(
        d1,
        db
          .select()
          .from(users)
          .where(and(eq(users.id, at('userId')), eq(users.pool, pool)))
          .prepare(),
      ),
      ofUser,
      holder: { phone: holder('phone'), email: holder('email'), username: holder('username') },
      holderPasskeys: { phone: holderPasskeys('phone'), email: holderPasskeys('email'), username: holderPasskeys('username') },
      byCredential: prepared(
        d1,
        db
          .select()
          .from(passkeys)
          .where(and(eq(passkeys.pool, pool), eq(passkeys.credentialId, at('credentialId'))))
          .prepare(),
      ),
      credentialOwner: prepared(
        d1,
        db
          .select()
          .from(users)
          .where(
            sql`${users.id} = (SELECT user_id FROM passkeys WHERE pool = ${pool} AND credential_id = ${at('credentialId')}) AND ${users.pool} = ${pool}`,
          )
          .prepare(),
      ),
      claimRegistration: claim('registration', sql`user_id = ${at('userId')}`),
      claimSignIn: claim('authentication', sql`1`),
      insert: prepared(
        d1,
        db
          .insert(passkeys)
          .select(
            sql`SELECT ${at('id')}, ${at('userId')}, ${pool}, ${at('credentialId')}, ${at('publicKey')}, ${at('counter')},
              ${at('transports')}, ${at('name')}, ${at('aaguid')}, ${at('backupEligible')}, ${at('backedUp')}, ${at('createdAt')}, NULL, NULL
            WHERE EXISTS (SELECT 1 FROM webauthn_challenges WHERE id = ${at('challengeId')} AND used_by = ${at('id')})`,
          )
          .onConflictDoNothing()
          .returning()
          .prepare(),
      ),
      // Counter forward only (or 0 kept by an authenticator that counts nothing), and only for
      // the sign-in that used the challenge: `last_challenge` then tells the session it won.
      count: preparedSql<{ id: string }>(
        d1,
        sql`UPDATE passkeys SET counter = ${at('counter')}, backed_up = ${at('backedUp')}, last_used_at = ${at('now')},
          last_challenge = ${at('challengeId')}
        WHERE id = ${at('passkeyId')} AND pool = ${pool} AND user_id = ${at('userId')}
          AND EXISTS (SELECT 1 FROM webauthn_challenges WHERE id = ${at('challengeId')} AND used_by = ${at('sessionId')})
          AND (counter < ${at('counter')} OR (counter = 0 AND ${at('counter')} = 0))
        RETURNING id`,
      ),
      opening: sessionOpening(
        db,
        sql`EXISTS (SELECT 1 FROM passkeys WHERE id = ${at('passkeyId')} AND user_id = ${at('userId')} AND last_challenge = ${at('challengeId')})
          AND EXISTS (SELECT 1 FROM users WHERE id = ${at('userId')} AND status = 'active')`,
        pool,
      ),
      drop: preparedSql(d1, sql`DELETE FROM webauthn_challenges WHERE id = ${at('challengeId')} AND used_by = ${at('usedBy')}`),
      // The user's passkey MFA method (SPEC §14): on with the passkey just stored, off with the last one gone.
      methodOn: preparedSql(
        d1,
        sql`UPDATE users SET mfa_methods = mfa_methods | ${MFA_METHOD.passkey}
        WHERE id = ${at('userId')} AND pool = ${pool} AND EXISTS (SELECT 1 FROM passkeys WHERE id = ${at('id')} AND user_id = ${at('userId')})`,
      ),
      delete: prepared(
        d1,
        db
          .delete(passkeys)
          .where(and(eq(passkeys.id, at('id')), eq(passkeys.userId, at('userId')), eq(passkeys.pool, pool)))
          .returning()
          .prepare(),
      ),
      methodOff: preparedSql(
        d1,
        sql`UPDATE users SET mfa_methods = mfa_methods & ~${MFA_METHOD.passkey}
        WHERE id = ${at('userId')} AND pool = ${pool} AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = ${at('userId')})`,
      ),
    }
  })

  return {
    /**
     * Registration's options, one round trip: the challenge (bound to the user, in this pool),
     * the account and its passkeys (the options' `excludeCredentials`). No user: no challenge.
     */
    async beginRegistration(i: { userId: string; challenge: NewChallenge; now: number }) {
      const s = q()
      const values = {
        userId: i.userId,
        challengeId: i.challenge.id,
        kind: 'registration',
        expiresAt: i.challenge.expiresAt,
        now: i.now,
      }
      const [, , [user], owned] = await runBatch(d1, [
        s.prune(values),
        s.registrationChallenge(values),
        s.user(values),
        s.ofUser(values),
      ])
      return { user, passkeys: owned }
    },

    /**
     * A verified registration, one round trip: uses the user's challenge, stores the passkey and
     * turns the user's passkey MFA method on.
     * `challenge` false: unknown, expired, used, or another user's; `passkey` undefined with a
     * used challenge: that credential id is registered already (to anyone).
     */
    async register(i: { challengeId: string; row: NewPasskey; now: number }) {
      const s = q()
      const row = i.row
      const values = {
        ...row,
        transports: JSON.stringify(row.transports),
        backupEligible: row.backupEligible ? 1 : 0,
        backedUp: row.backedUp ? 1 : 0,
        challengeId: i.challengeId,
        usedBy: row.id,
        now: i.now,
      }
      const [claimed, inserted] = await runBatch(d1, [
        s.claimRegistration(values),
        s.insert(values),
        s.methodOn(values),
        s.drop(values),
      ])
      return { challenge: claimed.length === 1, passkey: inserted[0] }
    },

    /**
     * Sign-in options, one round trip: the per-IP request counter, a challenge for this pool
     * (only under the limit), and, for an identifier, its account and that account's passkeys.
     */
    async beginSignIn(i: {
      limit: Limit
      challenge: NewChallenge
      holder?: { column: HolderColumn; value: string }
      now: number
    }) {
      const s = q()
      const values = {
        ...hitValues(i.limit.key, i.limit.windowMs, i.now),
        limitMax: i.limit.max,
        challengeId: i.challenge.id,
        kind: 'authentication',
        userId: null,
        expiresAt: i.challenge.expiresAt,
        value: i.holder?.value ?? null,
      }
      const head = [s.hit(values), s.prune(values), s.signInChallenge(values)] as const
      if (!i.holder) {
        const [[limit]] = await runBatch(d1, head)
        return { limit, holder: undefined, passkeys: [] as PasskeyRow[] }
      }
      const [[limit], , , [holder], owned] = await runBatch(d1, [
        ...head,
        s.holder[i.holder.column](values),
        s.holderPasskeys[i.holder.column](values),
      ])
      return { limit, holder, passkeys: owned }
    },

    /** A sign-in's first round trip: the per-IP request counter, the passkey of this pool with that credential id, and its account. */
    async findCredential(i: { limit: Limit; credentialId: string; now: number }) {
      const s = q()
      const values = { ...hitValues(i.limit.key, i.limit.windowMs, i.now), credentialId: i.credentialId }
      const [[limit], [passkey], [user]] = await runBatch(d1, [s.hit(values), s.byCredential(values), s.credentialOwner(values)])
      return { limit: limit as HitRow | undefined, passkey, user }
    },

    /**
     * A verified assertion, one round trip (one transaction): uses the challenge, moves the
     * counter forward, and opens the session with its login stamp, devices, grants and audit row,
     * each only if the step before it won.
     */
    async completeSignIn(i: CompleteSignIn): Promise<SignInOutcome> {
      const s = q()
      const values = {
        challengeId: i.challengeId,
        usedBy: i.session.id,
        sessionId: i.session.id,
        passkeyId: i.passkey.id,
        userId: i.passkey.userId,
        counter: i.counter,
        backedUp: i.backedUp ? 1 : 0,
        now: i.now,
      }
      const claimed = s.claimSignIn(values)
      const counted = s.count(values)
      const [insert, stamp, devices, grants, ...record] = s.opening.statements(i.session, i.audit, values)
      const all: BatchStatement<unknown>[] = [claimed, counted, insert, stamp, devices, grants, ...record, s.drop(values)]
      const results = await d1.batch(all.map((b) => b.statement))
      const read = <R>(b: BatchStatement<R>): R => b.read(results[all.indexOf(b)] as D1Result)
      const user = read(stamp)[0]
      return {
        challenge: read(claimed).length === 1,
        counted: read(counted).length === 1,
        opened: user && { user, devices: read(devices), grants: read(grants) },
      }
    },

    /** A user's passkeys in this pool, oldest first. */
    listOf: (userId: string): Promise<PasskeyRow[]> =>
      db
        .select()
        .from(passkeys)
        .where(and(eq(passkeys.pool, pool), eq(passkeys.userId, userId)))
        .orderBy(asc(passkeys.createdAt), asc(passkeys.id))
        .all(),

    /** Renames a passkey of the user; undefined when the user has no such passkey. */
    rename: (userId: string, id: string, name: string): Promise<PasskeyRow | undefined> =>
      db
        .update(passkeys)
        .set({ name })
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId), eq(passkeys.pool, pool)))
        .returning()
        .get(),

    /**
     * Deletes a passkey of the user, and turns the user's passkey MFA method off if it was the
     * last one, in one transaction; the row it was, or undefined.
     */
    async remove(userId: string, id: string): Promise<PasskeyRow | undefined> {
      const s = q()
      const [deleted] = await runBatch(d1, [s.delete({ id, userId }), s.methodOff({ userId })])
      return deleted[0]
    },
  }
}

export type PasskeysRepo = ReturnType<typeof passkeysRepo>
