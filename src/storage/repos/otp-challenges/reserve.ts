import { and, eq, gt } from 'drizzle-orm'
import { DAY_MS } from '../../../time'
import type { Db } from '../../db/client'
import type { BatchStatement } from '../../db/prepared'
import { otpChallenges as t } from '../../db/schema'
import { type Hit, type HitRow, hitValues, toHit } from '../rate-limits'
import { holderValues } from './conditions'
import { challengeQueries } from './queries'

/** A per-IP request counter (`RequestCounter` of services/limits). */
export interface RequestLimit {
  key: string
  windowMs: number
  max: number
}

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
  limit?: RequestLimit
  /** Whether the destination's older open code of this purpose closes now (default); else a registration binds it later. */
  closeOlder?: boolean
}

export type Refusal = 'request' | 'sender' | 'cooldown' | 'daily'

export type ReserveResult = ({ ok: true; charged: Hit[] } | { ok: false; limit: Refusal; retryAfterMs: number }) & {
  /** The request counter's row after its hit (when `limit` was given), for the service to assert. */
  requestHit?: HitRow | undefined
}

/**
 * Hits the sender's counter and creates a challenge (for `pool`'s account, its cooldown and cap
 * counted over every pool's codes to the destination, SPEC §12) only if the sender is under its limit and the
 * destination outside its resend cooldown and under its daily cap; closes the destination's older
 * open challenge of the same purpose and hits the `charged` counters. One D1 batch of conditional
 * statements (one transaction), so concurrent requests cannot both pass a limit, and a refused
 * send charges only the sender's counter. With a `limit`, it is hit first and gates everything
 * else; `read` (an intent's own read) runs in the same batch. A refusal by a send limit reads why
 * (a second call, off the success path).
 */
export async function reserveChallenge<R>(
  db: Db,
  i: ReserveInput & { pool: string },
  read?: BatchStatement<R>,
): Promise<ReserveResult & { read: R | undefined }> {
  const q = challengeQueries(db)
  const request = i.limit
  const gate = request ? 'gated' : 'open'
  const values = {
    id: i.id,
    destination: i.destination,
    pool: i.pool,
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
  const requestHit = request ? (results.shift() as D1Result<HitRow>).results[0] : undefined
  const readResult = read ? read.read(results.shift() as D1Result) : undefined
  if (i.closeOlder !== false) results.splice(2, 1)
  const [hit, inserted, ...charged] = results as D1Result<HitRow & { id: string }>[]
  if (!hit || !inserted) throw new Error('D1 batch returned no result')
  const refused = (limit: Refusal, retryAfterMs: number) =>
    ({ ok: false, limit, retryAfterMs, requestHit, read: readResult }) as const
  if (request) {
    const perRequest = toHit(requestHit, request.windowMs, i.now)
    if (perRequest.count > request.max) return refused('request', perRequest.resetInMs)
  }
  // The returned row, not `meta.changes`, says whether this call inserted (definitive under concurrency).
  if (inserted.results.length === 1) {
    const hits = charged.map((r) => toHit(r.results[0], i.charged.windowMs, i.now))
    return { ok: true, charged: hits, requestHit, read: readResult }
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
}
