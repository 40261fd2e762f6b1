import { and, desc, eq, gt, gte, isNull, lt, ne, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { once, prepared, runBatch } from '../db/prepared'
import {
  type AuditRow,
  type DeviceRow,
  devices,
  refreshTokenHistory,
  type SessionRow,
  sessions,
  type UserRow,
  users,
} from '../db/schema'
import { type PermissionGrant, preparedGrants } from './permission-grants'
import { type HitRow, hitValues, preparedHit } from './rate-limits'
import { type NewSession, sessionOpening } from './session-opening'

export type { NewSession }

/**
 * A password re-hashed at a sign-in (SPEC §13): the new hash, and the one verified, which it
 * replaces only while that one is still stored (a password changed meanwhile is kept).
 */
export interface PasswordRehash {
  expected: string
  next: string
}

/** A refresh's rotation: the presented token's hash, its successor's, and the per-IP counter. */
export interface RotateInput {
  oldHash: string
  newHash: string
  now: number
  limit: { key: string; windowMs: number; max: number }
  /** The OAuth client presenting the token (null: the JSON API): only that client's session rotates. */
  clientId: string | null
}

/** When a session ended: its revocation, or its expiry if that came first (a future time while it lives). */
const endedAt = sql<number>`min(coalesce(${sessions.revokedAt}, ${sessions.expiresAt}), ${sessions.expiresAt})`

/** One pool's sessions: opened there, and a refresh token rotates on its pool's routes only (SPEC §12). */
export function sessionsRepo(db: Db, pool: string) {
  const at = sql.placeholder
  // A user's sessions that ended before `before` (through the user index).
  const pruneOf = (userId: string, before: number) =>
    db.delete(sessions).where(and(eq(sessions.userId, userId), lt(endedAt, before)))
  // The statements every sign-in opens its session with (session-opening.ts), here unconditional.
  const opening = once(() => sessionOpening(db, sql`1`, pool))
  const rehashing = once(() =>
    prepared(
      db.$client,
      db
        .update(users)
        .set({ passwordHash: sql`${at('nextHash')}` })
        .where(and(eq(users.id, at('userId')), eq(users.passwordHash, at('expectedHash'))))
        .prepare(),
    ),
  )
  // The refresh's statements, built once (see prepared.ts): the per-IP request counter, the swap
  // (only under that limit), the old hash filed in the history, and the session's user, devices
  // and permission grants, found through the new hash.
  const rotation = once(() => {
    const underLimit = sql`(SELECT count FROM rate_limits WHERE key = ${at('key')}) <= ${at('limitMax')}`
    const ownerId = db
      .select({ id: sessions.userId })
      .from(sessions)
      .where(eq(sessions.refreshHash, at('newHash')))
    return {
      hit: preparedHit(db.$client),
      swap: prepared(
        db.$client,
        db
          .update(sessions)
          .set({ refreshHash: sql`${at('newHash')}`, lastUsedAt: sql`${at('now')}` })
          .where(
            and(
              eq(sessions.refreshHash, at('oldHash')),
              eq(sessions.pool, pool),
              isNull(sessions.revokedAt),
              gt(sessions.expiresAt, at('now')),
              sql`${sessions.clientId} IS ${at('clientId')}`,
              // A request over the limit must not rotate (consume) the token.
              underLimit,
            ),
          )
          .returning()
          .prepare(),
      ),
      fileOld: prepared(
        db.$client,
        db
          .insert(refreshTokenHistory)
          .select(
            db
              .select({
                hash: sql<string>`${at('oldHash')}`.as('hash'),
                sessionId: sessions.id,
                rotatedAt: sql<number>`${at('now')}`.as('rotated_at'),
              })
              .from(sessions)
              .where(eq(sessions.refreshHash, at('newHash'))),
          )
          .prepare(),
      ),
      owner: prepared(db.$client, db.select().from(users).where(eq(users.id, ownerId)).prepare()),
      devices: prepared(
        db.$client,
        db.select().from(devices).where(eq(devices.userId, ownerId)).orderBy(devices.registeredAt).prepare(),
      ),
      grants: preparedGrants(db, sql`(${ownerId})`),
    }
  })

  return {
    /**
     * Opens a session, stamps the user's last login, reads the user's devices and permission
     * grants and records the audit event, in one round trip (a D1 batch); `user` is the row as
     * updated, undefined if the user is gone. With `rehash`, the same batch first replaces the
     * user's password hash, if it is still the one verified.
     */
    async open(
      row: NewSession,
      audit?: AuditRow,
      rehash?: PasswordRehash,
    ): Promise<{ user: UserRow | undefined; devices: DeviceRow[]; grants: PermissionGrant[] }> {
      const opened = opening().statements(row, audit)
      if (!rehash) {
        const [, stamped, found, grants] = await runBatch(db.$client, opened)
        return { user: stamped[0], devices: found, grants }
      }
      const values = { userId: row.userId, expectedHash: rehash.expected, nextHash: rehash.next }
      const [, , stamped, found, grants] = await runBatch(db.$client, [rehashing()(values), ...opened])
      return { user: stamped[0], devices: found, grants }
    },

    byId: (id: string): Promise<SessionRow | undefined> => db.select().from(sessions).where(eq(sessions.id, id)).get(),

    byRefreshHash: (hash: string): Promise<SessionRow | undefined> =>
      db
        .select()
        .from(sessions)
        .where(and(eq(sessions.refreshHash, hash), eq(sessions.pool, pool)))
        .get(),

    /**
     * Compare-and-swap of the refresh token, in one round trip: counts the caller's per-IP request
     * `limit` first, then succeeds (under that limit only) for exactly one caller presenting the
     * current token of a live session, files the old hash in the history in the same transaction,
     * and reads the session's user, devices and permission grants. `swapped` is undefined when the
     * swap did not happen.
     */
    async rotate(i: RotateInput): Promise<{
      limit: HitRow
      swapped: { session: SessionRow; user: UserRow | undefined; devices: DeviceRow[]; grants: PermissionGrant[] } | undefined
    }> {
      const q = rotation()
      const values = {
        oldHash: i.oldHash,
        newHash: i.newHash,
        clientId: i.clientId,
        ...hitValues(i.limit.key, i.limit.windowMs, i.now),
        limitMax: i.limit.max,
      }
      const [hit, swapped, , owner, owned, grants] = await runBatch(db.$client, [
        q.hit(values),
        q.swap(values),
        q.fileOld(values),
        q.owner(values),
        q.devices(values),
        q.grants(values),
      ])
      if (!hit[0]) throw new Error('rate limit upsert returned no row')
      const session = swapped[0]
      return { limit: hit[0], swapped: session && { session, user: owner[0], devices: owned, grants } }
    },

    /** The session a rotated-away refresh token belonged to, and when it was rotated. */
    rotatedAway: (hash: string) =>
      db
        .select({ sessionId: refreshTokenHistory.sessionId, rotatedAt: refreshTokenHistory.rotatedAt })
        .from(refreshTokenHistory)
        .where(
          and(
            eq(refreshTokenHistory.hash, hash),
            sql`EXISTS (SELECT 1 FROM sessions WHERE id = ${refreshTokenHistory.sessionId} AND pool = ${pool})`,
          ),
        )
        .get(),

    /**
     * Revokes one session of a user (true when it was live) and drops the user's sessions that
     * ended before `pruneBefore`: one round trip.
     */
    async revoke(i: { id: string; userId: string; now: number; pruneBefore: number }): Promise<boolean> {
      const [rows] = await db.batch([
        db
          .update(sessions)
          .set({ revokedAt: i.now })
          .where(and(eq(sessions.id, i.id), eq(sessions.userId, i.userId), isNull(sessions.revokedAt)))
          .returning({ id: sessions.id }),
        pruneOf(i.userId, i.pruneBefore),
      ])
      return rows.length > 0
    },

    /**
     * Revokes a browser session (SPEC §15) and every OAuth session opened from it
     * (`browser_session_id`): one round trip. Returns the revoked ids.
     */
    async revokeBrowserFamily(i: { browserSessionId: string; userId: string; now: number }): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: i.now })
        .where(
          and(
            eq(sessions.userId, i.userId),
            eq(sessions.pool, pool),
            isNull(sessions.revokedAt),
            sql`(${sessions.id} = ${i.browserSessionId} OR ${sessions.browserSessionId} = ${i.browserSessionId})`,
          ),
        )
        .returning({ id: sessions.id })
      return rows.map((r) => r.id)
    },

    /**
     * Revokes every live session of a user but `keep` (if given), and drops the user's sessions
     * that ended before `pruneBefore`: one round trip. Returns the revoked ids.
     */
    async revokeAllOfUser(i: { userId: string; now: number; keep?: string | undefined; pruneBefore: number }): Promise<string[]> {
      const [rows] = await db.batch([
        db
          .update(sessions)
          .set({ revokedAt: i.now })
          .where(and(eq(sessions.userId, i.userId), isNull(sessions.revokedAt), i.keep ? ne(sessions.id, i.keep) : undefined))
          .returning({ id: sessions.id }),
        pruneOf(i.userId, i.pruneBefore),
      ])
      return rows.map((r) => r.id)
    },

    /**
     * A page of a user's sessions, newest first (ids are time-ordered): up to `limit` + 1 rows
     * after the `cursor` id, so the caller knows if more follow. Live ones (unrevoked, unexpired)
     * only, or with `endedSince` also those that ended at or after it; the sessions that ended
     * before `pruneBefore` are dropped in the same round trip.
     */
    async ofUser(i: {
      userId: string
      now: number
      page: { limit: number; cursor?: string | undefined }
      endedSince?: number | undefined
      pruneBefore: number
    }): Promise<SessionRow[]> {
      const shown =
        i.endedSince === undefined ? and(isNull(sessions.revokedAt), gt(sessions.expiresAt, i.now)) : gte(endedAt, i.endedSince)
      const [, rows] = await db.batch([
        pruneOf(i.userId, i.pruneBefore),
        db
          .select()
          .from(sessions)
          .where(and(eq(sessions.userId, i.userId), shown, i.page.cursor ? lt(sessions.id, i.page.cursor) : undefined))
          .orderBy(desc(sessions.id))
          .limit(i.page.limit + 1),
      ])
      return rows
    },
  }
}

export type SessionsRepo = ReturnType<typeof sessionsRepo>
