import { eq, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { once, prepared, preparedSql, runBatch } from '../db/prepared'
import { MFA_METHOD, type TotpRow, totpCredentials } from '../db/schema'

/** What an administrator's reset removed (SPEC §14): the TOTP authenticator as it was, the unused recovery codes, the passkeys. */
export interface MfaRemoved {
  totp: 'on' | 'pending' | null
  recoveryCodes: number
  passkeys: number
}

const at = sql.placeholder

/** A second factor as D1 checks it: a TOTP time step (never accepted twice), or a recovery code's hash (used once). */
export type FactorProof = { step: number } | { recoveryHash: string }

/**
 * The statements that spend a second factor of `userId`, each marking what it spent with the
 * request's `proof` (a fresh id), and `proved`: whether this request's spending won, for the rest
 * of its batch; only where `when` holds (over the same placeholders). A time step is accepted only above the last one accepted (`last_step < ?`): of two
 * requests with one code, exactly one wins, and a code once accepted never works again.
 */
export function factorStatements(db: Db, when: SQL = sql`1`) {
  const d1 = db.$client
  return {
    totp: preparedSql(
      d1,
      sql`UPDATE totp_credentials SET last_step = ${at('step')}, last_step_by = ${at('proof')}
      WHERE user_id = ${at('userId')} AND enabled_at IS NOT NULL AND last_step < ${at('step')} AND ${when} RETURNING user_id`,
    ),
    recovery: preparedSql(
      d1,
      sql`UPDATE recovery_codes SET used_at = ${at('now')}, used_by = ${at('proof')}
      WHERE hash = ${at('recoveryHash')} AND user_id = ${at('userId')} AND used_at IS NULL AND ${when} RETURNING hash`,
    ),
    proved: sql`(EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = ${at('userId')} AND last_step_by = ${at('proof')})
      OR EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = ${at('userId')} AND used_by = ${at('proof')}))`,
  }
}

export type FactorStatements = ReturnType<typeof factorStatements>

/** The statement spending `factor`, and the values it binds. */
export function spend(q: FactorStatements, factor: FactorProof) {
  return 'step' in factor
    ? { statement: q.totp, values: { step: factor.step, recoveryHash: null } }
    : { statement: q.recovery, values: { step: null, recoveryHash: factor.recoveryHash } }
}

/**
 * A user's TOTP authenticator and recovery codes (SPEC §14), and an administrator's reset of every
 * second factor. Rows are keyed by the user id (the user is its pool's), so the repository needs
 * no pool. Each intent is one D1 round trip.
 */
export function secondFactorsRepo(db: Db) {
  const d1 = db.$client
  const q = once(() => {
    const won = sql`EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = ${at('userId')} AND last_step_by = ${at('proof')})`
    const noTotp = sql`NOT EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = ${at('userId')})`
    const factors = factorStatements(db)
    return {
      factors,
      savePending: preparedSql(
        d1,
        sql`INSERT INTO totp_credentials (user_id, secret, created_at, last_step) VALUES (${at('userId')}, ${at('secret')}, ${at('now')}, 0)
        ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0, last_step_by = NULL
        WHERE totp_credentials.enabled_at IS NULL RETURNING user_id`,
      ),
      enable: preparedSql(
        d1,
        sql`UPDATE totp_credentials SET enabled_at = ${at('now')}, last_step = ${at('step')}, last_step_by = ${at('proof')}
        WHERE user_id = ${at('userId')} AND enabled_at IS NULL AND last_step < ${at('step')} RETURNING user_id`,
      ),
      dropCodes: preparedSql(d1, sql`DELETE FROM recovery_codes WHERE user_id = ${at('userId')} AND ${won}`),
      addCodes: preparedSql(
        d1,
        sql`INSERT INTO recovery_codes (hash, user_id, created_at)
        SELECT value, ${at('userId')}, ${at('now')} FROM json_each(${at('hashes')}) WHERE ${won}`,
      ),
      turnOn: preparedSql(
        d1,
        sql`UPDATE users SET mfa_methods = mfa_methods | ${MFA_METHOD.totp} WHERE id = ${at('userId')} AND ${won} RETURNING id`,
      ),
      remove: preparedSql(
        d1,
        sql`DELETE FROM totp_credentials WHERE user_id = ${at('userId')} AND ${factors.proved} RETURNING user_id`,
      ),
      dropAllCodes: preparedSql<{ used_at: number | null }>(
        d1,
        sql`DELETE FROM recovery_codes WHERE user_id = ${at('userId')} AND ${noTotp} RETURNING used_at`,
      ),
      turnOff: preparedSql(
        d1,
        sql`UPDATE users SET mfa_methods = mfa_methods & ~${MFA_METHOD.totp} WHERE id = ${at('userId')} AND ${noTotp} RETURNING id`,
      ),
      removeAny: preparedSql<{ enabled_at: number | null }>(
        d1,
        sql`DELETE FROM totp_credentials WHERE user_id = ${at('userId')} RETURNING enabled_at`,
      ),
      removePasskeys: preparedSql(d1, sql`DELETE FROM passkeys WHERE user_id = ${at('userId')} RETURNING id`),
      passkeyOff: preparedSql(
        d1,
        sql`UPDATE users SET mfa_methods = mfa_methods & ~${MFA_METHOD.passkey}
        WHERE id = ${at('userId')} AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = ${at('userId')})`,
      ),
      totp: prepared(
        d1,
        db
          .select()
          .from(totpCredentials)
          .where(eq(totpCredentials.userId, at('userId')))
          .prepare(),
      ),
      codesLeft: preparedSql<{ n: number }>(
        d1,
        sql`SELECT count(*) AS n FROM recovery_codes WHERE user_id = ${at('userId')} AND used_at IS NULL`,
      ),
    }
  })
  return {
    /** The TOTP row and the number of unused recovery codes of a user: one round trip. */
    async status(userId: string): Promise<{ totp: TotpRow | undefined; recoveryCodesLeft: number }> {
      const [totp, counted] = await runBatch(d1, [q().totp({ userId }), q().codesLeft({ userId })])
      return { totp: totp[0], recoveryCodesLeft: counted[0]?.n ?? 0 }
    },

    /** Stores a new pending secret (replacing a pending one); false when TOTP is already on. */
    async savePending(i: { userId: string; secret: string; now: number }): Promise<boolean> {
      const [saved] = await runBatch(d1, [q().savePending(i)])
      return saved.length === 1
    },

    /**
     * Turns the pending TOTP on with the code's `step` (above any accepted before), replaces the
     * user's recovery codes with `hashes` and sets the user's TOTP bit, in one transaction: false
     * when another request won or nothing was pending.
     */
    async enable(i: { userId: string; step: number; proof: string; now: number; hashes: string[] }): Promise<boolean> {
      const s = q()
      const values = { ...i, hashes: JSON.stringify(i.hashes) }
      const [enabled] = await runBatch(d1, [s.enable(values), s.dropCodes(values), s.addCodes(values), s.turnOn(values)])
      return enabled.length === 1
    },

    /**
     * Turns TOTP off with a second factor spent in the same transaction: the authenticator, the
     * recovery codes and the user's TOTP bit go. False when the factor was refused (a step used
     * before, a used or unknown recovery code).
     */
    async disable(i: { userId: string; factor: FactorProof; proof: string; now: number }): Promise<boolean> {
      const s = q()
      const spent = spend(s.factors, i.factor)
      const values = { userId: i.userId, proof: i.proof, now: i.now, ...spent.values }
      const [, removed] = await runBatch(d1, [
        spent.statement(values),
        s.remove(values),
        s.dropAllCodes(values),
        s.turnOff(values),
      ])
      return removed.length === 1
    },

    /**
     * An administrator's reset, in one transaction: the TOTP authenticator (on or pending) goes,
     * then the recovery codes and the user's TOTP bit, each only once no authenticator is left;
     * with `passkeys`, every passkey and the passkey bit too. A TOTP confirm racing it runs wholly
     * before (and is undone whole) or after (and finds nothing pending): never TOTP on without its
     * recovery codes, nor codes or a bit without an authenticator.
     */
    async reset(i: { userId: string; passkeys: boolean }): Promise<MfaRemoved> {
      const s = q()
      const values = { userId: i.userId }
      const totp = [s.removeAny(values), s.dropAllCodes(values), s.turnOff(values)] as const
      const [[row], codes, , removedPasskeys = []] = i.passkeys
        ? await runBatch(d1, [...totp, s.removePasskeys(values), s.passkeyOff(values)])
        : await runBatch(d1, totp)
      return {
        totp: row ? (row.enabled_at === null ? 'pending' : 'on') : null,
        recoveryCodes: codes.filter((c) => c.used_at === null).length,
        passkeys: removedPasskeys.length,
      }
    },
  }
}

export type SecondFactorsRepo = ReturnType<typeof secondFactorsRepo>
