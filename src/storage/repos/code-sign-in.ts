import { and, eq, sql } from 'drizzle-orm'
import { DAY_MS } from '../../time'
import type { Db } from '../db/client'
import { type Bind, once, prepared, preparedSql, runBatch } from '../db/prepared'
import { type AuditRow, type DeviceRow, devices, otpChallenges, type UserRow, users } from '../db/schema'
import { liveChallenge } from './otp-challenges'
import { type HitRow, preparedHit } from './rate-limits'
import type { NewSession } from './sessions'
import { preparedHolder } from './users'

type Channel = 'sms' | 'email'

export interface CodeSignInInput {
  /** The per-IP request counter, hit first: over `max`, the guess is not taken. */
  limit: { key: string; windowMs: number; max: number }
  channel: Channel
  /** The phone or email the code was sent to. */
  address: string
  /** The account the code was sent to (from its KV entry); it must still hold `address`. */
  userId: string
  /** `failKey`: the guesser's per-IP-bucket daily failure counter for this destination. */
  challenge: { id: string; destination: string; failKey: string; maxFailuresPerDay: number }
  /** Whether the guess matched the code (compared in constant time before the batch). */
  right: boolean
  now: number
  /** The session to open if the right code is consumed (its user is `userId`). */
  session: NewSession
  audit: AuditRow
}

export interface CodeSignInResult {
  limit: HitRow
  /** The account holding `address` when the batch ran, if any. */
  holder: UserRow | undefined
  /** The challenge took the guess: consumed by this session if right, an attempt spent if wrong. */
  taken: boolean
  /** The user as stamped with this login, and its devices, when the session opened. */
  opened: { user: UserRow; devices: DeviceRow[] } | undefined
}

const at = sql.placeholder
const t = otpChallenges

/**
 * OTP sign-in of an account already active and verified on the code's channel, in one D1 batch
 * (one round trip, one transaction): the per-IP request counter, the holder lookup, the guess,
 * and for a right one the session, the login stamp, the devices and the audit row.
 *
 * A right guess consumes the challenge only if the counter is under its limit and the account
 * still holds the address, active and verified on that channel; the session and its writes exist
 * only if this batch consumed it. A wrong guess spends an attempt (and counts a failure) under
 * the same limit, if the account still holds the address. Both run the same statements, so the
 * answer's timing does not tell a right guess from a wrong one, even over the limit.
 */
export function codeSignInRepo(db: Db) {
  const d1 = db.$client
  const statements = once(() => {
    const underLimit = sql`(SELECT count FROM rate_limits WHERE key = ${at('key')}) <= ${at('limitMax')}`
    const guess = (channel: Channel, right: boolean) => {
      const column = channel === 'sms' ? users.phone : users.email
      const verified = channel === 'sms' ? users.phoneVerified : users.emailVerified
      // A right code is used only by the account it was sent for, as it was then (SPEC §5); a wrong
      // guess counts whoever holds the address, so an unknown destination counts the same (a
      // pending account's code is a `register` one: the caller goes the long way, nothing spent).
      const holds = right
        ? sql`EXISTS (SELECT 1 FROM users WHERE ${users.id} = ${at('userId')} AND ${column} = ${at('address')} AND ${users.status} = 'active' AND ${verified} = 1
            AND ${users.id} = ${t.userId} AND ${users.createdAt} = ${t.userStamp})`
        : sql`NOT EXISTS (SELECT 1 FROM users WHERE ${column} = ${at('address')} AND ${users.status} = 'pending')`
      const spend = right
        ? { attempts: sql`${t.attempts} + 1`, closedAt: sql`${at('now')}`, consumedBy: sql`${at('sessionId')}` }
        : { attempts: sql`${t.attempts} + 1`, failures: sql`${t.failures} + 1`, lastGuess: sql`${at('sessionId')}` }
      return prepared(
        d1,
        db
          .update(t)
          .set(spend)
          .where(
            and(liveChallenge(at('challengeId'), at('failKey'), at('now'), at('dayAgo'), at('maxFailures')), underLimit, holds),
          )
          .returning({ id: t.id })
          .prepare(),
      )
    }
    const sessionExists = sql`EXISTS (SELECT 1 FROM sessions WHERE id = ${at('sessionId')})`
    return {
      hit: preparedHit(d1),
      // A wrong guess this batch's challenge took is counted on the guesser's IP bucket.
      failHit: preparedHit(
        d1,
        sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('challengeId')} AND last_guess = ${at('sessionId')})`,
      ),
      holder: { sms: preparedHolder(db, 'phone'), email: preparedHolder(db, 'email') },
      guess: {
        sms: { right: guess('sms', true), wrong: guess('sms', false) },
        email: { right: guess('email', true), wrong: guess('email', false) },
      } satisfies Record<Channel, Record<'right' | 'wrong', Bind<{ id: string }[]>>>,
      openSession: preparedSql(
        d1,
        sql`INSERT INTO sessions (id, user_id, refresh_hash, created_at, last_used_at, expires_at, user_agent, ip)
        SELECT ${at('sessionId')}, ${at('userId')}, ${at('refreshHash')}, ${at('sessionAt')}, ${at('sessionAt')}, ${at('expiresAt')},
          ${at('userAgent')}, ${at('ip')}
        WHERE EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('challengeId')} AND consumed_by = ${at('sessionId')})`,
      ),
      stamp: prepared(
        d1,
        db
          .update(users)
          .set({ lastLogin: sql`${at('sessionAt')}` })
          .where(and(eq(users.id, at('userId')), sessionExists))
          .returning()
          .prepare(),
      ),
      devices: prepared(
        d1,
        db
          .select()
          .from(devices)
          .where(eq(devices.userId, at('userId')))
          .orderBy(devices.registeredAt)
          .prepare(),
      ),
      record: preparedSql(
        d1,
        sql`INSERT INTO audit_events (id, at, type, actor_id, subject_id, ip, user_agent, detail)
        SELECT ${at('auditId')}, ${at('auditAt')}, ${at('auditType')}, ${at('actorId')}, ${at('subjectId')}, ${at('auditIp')},
          ${at('auditUserAgent')}, ${at('auditDetail')}
        WHERE ${sessionExists}`,
      ),
    }
  })

  return {
    async run(i: CodeSignInInput): Promise<CodeSignInResult> {
      const q = statements()
      const s = i.session
      const values = {
        key: i.limit.key,
        expired: i.now - i.limit.windowMs,
        limitMax: i.limit.max,
        address: i.address,
        userId: i.userId,
        challengeId: i.challenge.id,
        destination: i.challenge.destination,
        failKey: i.challenge.failKey,
        dayAgo: i.now - DAY_MS,
        maxFailures: i.challenge.maxFailuresPerDay,
        now: i.now,
        sessionId: s.id,
        sessionAt: s.createdAt,
        refreshHash: s.refreshHash,
        expiresAt: s.expiresAt,
        userAgent: s.userAgent ?? null,
        ip: s.ip ?? null,
        auditId: i.audit.id,
        auditAt: i.audit.at,
        auditType: i.audit.type,
        actorId: i.audit.actorId,
        subjectId: i.audit.subjectId,
        auditIp: i.audit.ip,
        auditUserAgent: i.audit.userAgent,
        auditDetail: i.audit.detail === null ? null : JSON.stringify(i.audit.detail),
      }
      const guess = q.guess[i.channel][i.right ? 'right' : 'wrong']
      const [limit, holder, taken, , , stamped, owned] = await runBatch(d1, [
        q.hit(values),
        q.holder[i.channel]({ value: i.address }),
        guess(values),
        q.failHit({ ...values, key: i.challenge.failKey, now: i.now, expired: i.now - DAY_MS }),
        q.openSession(values),
        q.stamp(values),
        q.devices(values),
        q.record(values),
      ])
      if (!limit[0]) throw new Error('rate limit upsert returned no row')
      const user = stamped[0]
      return {
        limit: limit[0],
        holder: holder[0],
        taken: taken.length === 1,
        opened: user && { user, devices: owned },
      }
    },
  }
}

export type CodeSignInRepo = ReturnType<typeof codeSignInRepo>
