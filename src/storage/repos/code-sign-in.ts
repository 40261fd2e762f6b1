import { and, eq, type SQL, sql } from 'drizzle-orm'
import { DAY_MS } from '../../time'
import type { Db } from '../db/client'
import { type BatchStatement, once, prepared, preparedSql } from '../db/prepared'
import { type AuditRow, type DeviceRow, MFA_METHOD, otpChallenges, type UserRow } from '../db/schema'
import { mfaTokenValues, preparedMfaTokenInsert } from './mfa-tokens'
import { boundToHolder, holderValues, liveChallenge } from './otp-challenges'
import type { PermissionGrant } from './permission-grants'
import { type HitRow, hitValues, preparedHit } from './rate-limits'
import { type NewSession, sessionOpening } from './session-opening'
import { preparedHolder } from './users'

type Channel = 'sms' | 'email'
/** The purposes a code that signs in may have: a registration's, or a login's (OTP sign-up included). */
export type SignInPurpose = 'login' | 'register'

/** A code's challenge the guess is tried on, and whether the guess matched its MAC (compared before). */
export interface CodeCandidate {
  purpose: SignInPurpose
  challengeId: string
  right: boolean
}

export interface CodeSignInInput {
  /** The per-IP request counter, hit first (unless `countLimit` is false): over `max`, no guess is taken. */
  limit: { key: string; windowMs: number; max: number }
  /** False when this request already counted `limit` (a second try with a newer code). */
  countLimit?: boolean
  channel: Channel
  /** The phone or email the code was sent to. */
  address: string
  /** One right candidate, or the wrong ones (if both: the `register` one counts for a pending holder while it lives, else the `login` one). */
  candidates: CodeCandidate[]
  /** The guesser's per-IP-bucket daily failure counter for this destination, and its cap. */
  failKey: string
  maxFailuresPerDay: number
  now: number
  /** The session to open if the right code is consumed; its user is the code's account, or `signUp`'s. */
  session: NewSession
  audit: AuditRow
  /** OTP sign-up: the role and language of the account created when nobody holds the phone (SMS only). */
  signUp?: { role: string; locale: string } | undefined
  /**
   * The mfa token issued instead of the session when the account has MFA on (SPEC §14): the
   * session then does not open, and this token's row is written for the second step.
   */
  mfa: { hash: string; amr: string; expiresAt: number }
}

export interface CodeSignInResult {
  /** The request counter as hit; undefined when it was not counted. */
  limit: HitRow | undefined
  /** The account holding `address` when the batch began, if any. */
  holder: UserRow | undefined
  /** A challenge took the guess: consumed by this session if right, an attempt spent if wrong. */
  taken: boolean
  /** The user as stamped with this login, its devices and permission grants, when the session opened. */
  opened: { user: UserRow; devices: DeviceRow[]; grants: PermissionGrant[] } | undefined
  /** The code was consumed for an account with MFA on: no session, the mfa token was issued instead. */
  mfaIssued: boolean
}

const at = sql.placeholder
const t = otpChallenges
const holderIs = (status: string, of: SQL) => sql`EXISTS (SELECT 1 FROM users WHERE ${of} AND status = ${status})`
const byAddress = sql`pool = ${at('pool')} AND (phone = ${at('holderPhone')} OR email = ${at('holderEmail')})`
// The right candidate, consumed by this batch's session, for the account the session is for.
const consumed = sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('rightId')} AND consumed_by = ${at('sessionId')}
  AND coalesce(user_id, ${at('userId')}) = ${at('userId')})`

/**
 * Verify of a sign-in code in one D1 batch (one round trip, one transaction): the per-IP request
 * counter, the holder lookup, the guess and, for a right one, the account's activation (a
 * registration), its verified channel (a login), or its creation (OTP sign-up), then the session
 * with its login stamp, devices and audit row (session-opening.ts).
 *
 * A right guess consumes its challenge only under the limit, while the challenge is bound to the
 * account holding the address as it was when the code was sent (SPEC §5, `boundToHolder`), and
 * that account is pending for a `register` code, active (or none) for a `login` one. A wrong guess
 * spends an attempt and counts a failure under the same limit, whoever holds the address.
 */
/** Sign-in by code in one pool (SPEC §12: its codes, accounts and sessions only). */
export function codeSignInRepo(db: Db, pool: string) {
  const d1 = db.$client
  const statements = once(() => {
    const underLimit = sql`(SELECT count FROM rate_limits WHERE key = ${at('key')}) <= ${at('limitMax')}`
    const fits: Record<SignInPurpose, { right: SQL; wrong: SQL }> = {
      register: { right: holderIs('pending', sql`id = ${t.userId}`), wrong: holderIs('pending', byAddress) },
      login: {
        right: sql`(${t.userId} IS NULL OR ${holderIs('active', sql`id = ${t.userId}`)})`,
        // A pending holder's guesses count on its login code once its register code is dead (#9 of
        // the issue 14 review: else they count nowhere, and a pending phone answers unlike an unknown one).
        wrong: sql`(NOT ${holderIs('pending', byAddress)} OR NOT EXISTS (SELECT 1 FROM otp_challenges
          WHERE id = ${at('registerId')} AND closed_at IS NULL AND expires_at > ${at('now')}))`,
      },
    }
    const take = (purpose: SignInPurpose, right: boolean) =>
      prepared(
        d1,
        db
          .update(t)
          .set(
            right
              ? { attempts: sql`${t.attempts} + 1`, closedAt: sql`${at('now')}`, consumedBy: sql`${at('sessionId')}` }
              : { attempts: sql`${t.attempts} + 1`, failures: sql`${t.failures} + 1`, lastGuess: sql`${at('sessionId')}` },
          )
          .where(
            and(
              liveChallenge(at('challengeId'), at('failKey'), at('now'), at('dayAgo'), at('maxFailures')),
              underLimit,
              eq(t.pool, pool),
              eq(t.purpose, purpose),
              right
                ? // A code serves only the account it was sent for, as it was then (SPEC §5).
                  sql`${boundToHolder(at('holderPhone'), at('holderEmail'), pool)} AND ${fits[purpose].right}`
                : sql`(${at('alone')} = 1 OR ${fits[purpose].wrong})`,
            ),
          )
          .returning({ id: t.id })
          .prepare(),
      )
    const activate = (verified: 'phone_verified' | 'email_verified') =>
      preparedSql(
        d1,
        sql`UPDATE users SET status = 'active', ${sql.raw(verified)} = 1, updated_at = ${at('now')}
        WHERE id = ${at('userId')} AND ${consumed}
          AND ((${at('purpose')} = 'register' AND status = 'pending') OR (${at('purpose')} = 'login' AND status = 'active' AND ${sql.raw(verified)} = 0))`,
      )
    return {
      hit: preparedHit(d1),
      // A wrong guess this batch's challenge took is counted on the guesser's IP bucket.
      failHit: preparedHit(
        d1,
        sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id IN (${at('firstId')}, ${at('lastId')}) AND last_guess = ${at('sessionId')})`,
      ),
      holder: { sms: preparedHolder(db, 'phone', pool), email: preparedHolder(db, 'email', pool) },
      take: {
        register: { right: take('register', true), wrong: take('register', false) },
        login: { right: take('login', true), wrong: take('login', false) },
      },
      signUp: preparedSql(
        d1,
        sql`INSERT INTO users (id, pool, phone, role, locale, status, phone_verified, email_verified, created_at, updated_at)
        SELECT ${at('userId')}, ${pool}, ${at('address')}, ${at('role')}, ${at('locale')}, 'active', 1, 0, ${at('now')}, ${at('now')}
        WHERE ${consumed} AND NOT EXISTS (SELECT 1 FROM users WHERE pool = ${pool} AND phone = ${at('address')})`,
      ),
      activate: { sms: activate('phone_verified'), email: activate('email_verified') },
      // An account with MFA on gets no session here (SPEC §14), but the mfa token of its second step.
      opening: sessionOpening(
        db,
        sql`${consumed} AND ${holderIs('active', sql`id = ${at('userId')} AND (mfa_methods & ${MFA_METHOD.totp}) = 0`)}`,
        pool,
      ),
      mfaToken: preparedMfaTokenInsert(
        d1,
        sql`${consumed} AND ${holderIs('active', sql`id = ${at('userId')} AND (mfa_methods & ${MFA_METHOD.totp}) <> 0`)}`,
        pool,
      ),
      failures: preparedSql<{ count: number; windowStart: number }>(
        d1,
        sql`SELECT count, window_start AS windowStart FROM rate_limits WHERE key = ${at('failKey')} AND window_start > ${at('dayAgo')}`,
      ),
    }
  })

  return {
    async verify(i: CodeSignInInput): Promise<CodeSignInResult> {
      const q = statements()
      const right = i.candidates.find((c) => c.right)
      const tried = right ? [right] : i.candidates
      const values = {
        ...hitValues(i.limit.key, i.limit.windowMs, i.now),
        limitMax: i.limit.max,
        ...holderValues(`${i.channel}:${i.address}`),
        address: i.address,
        pool,
        failKey: i.failKey,
        dayAgo: i.now - DAY_MS,
        maxFailures: i.maxFailuresPerDay,
        sessionId: i.session.id,
        userId: i.session.userId,
        rightId: right?.challengeId ?? null,
        purpose: right?.purpose ?? null,
        role: i.signUp?.role ?? null,
        locale: i.signUp?.locale ?? null,
        alone: tried.length === 1 ? 1 : 0,
        firstId: tried[0]?.challengeId ?? null,
        lastId: tried.at(-1)?.challengeId ?? null,
        registerId: tried.find((c) => c.purpose === 'register')?.challengeId ?? null,
      }
      const hit = i.countLimit === false ? undefined : q.hit(values)
      const holder = q.holder[i.channel]({ value: i.address })
      const takes = tried.map((c) => q.take[c.purpose][c.right ? 'right' : 'wrong']({ ...values, challengeId: c.challengeId }))
      const failHit = q.failHit({ ...values, ...hitValues(i.failKey, DAY_MS, i.now) })
      const signUp = right && i.signUp && i.channel === 'sms' ? q.signUp(values) : undefined
      const [insert, stamp, devices, grants, ...record] = q.opening.statements(i.session, i.audit, values)
      const mfaToken = q.mfaToken({
        ...values,
        ...mfaTokenValues({ hash: i.mfa.hash, userId: i.session.userId, amr: i.mfa.amr, now: i.now, expiresAt: i.mfa.expiresAt }),
      })
      // In this order: the account is written before the session that needs it active.
      const all: BatchStatement<unknown>[] = [...(hit ? [hit] : []), holder, ...takes, failHit, ...(signUp ? [signUp] : [])]
      all.push(q.activate[i.channel](values), insert, stamp, devices, grants, ...record, mfaToken)
      const results = await d1.batch(all.map((s) => s.statement))
      const read = <R>(s: BatchStatement<R>): R => s.read(results[all.indexOf(s)] as D1Result)
      const user = read(stamp)[0]
      return {
        limit: hit && read(hit)[0],
        holder: read(holder)[0],
        taken: takes.some((s) => read(s).length === 1),
        opened: user && { user, devices: read(devices), grants: read(grants) },
        mfaIssued: read(mfaToken).length === 1,
      }
    },

    /**
     * For a guess with no code to try it on: hits the per-IP request counter and reads the
     * guesser's daily failure counter (`failKey`, in its 24 h window), in one round trip.
     */
    async countGuess(i: { limit: CodeSignInInput['limit']; failKey: string; now: number }) {
      const q = statements()
      const hit = q.hit({ ...hitValues(i.limit.key, i.limit.windowMs, i.now) })
      const failures = q.failures({ failKey: i.failKey, dayAgo: i.now - DAY_MS })
      const [hits, counted] = await d1.batch([hit.statement, failures.statement])
      return { limit: hit.read(hits as D1Result)[0], failures: failures.read(counted as D1Result)[0] }
    },
  }
}

export type CodeSignInRepo = ReturnType<typeof codeSignInRepo>
