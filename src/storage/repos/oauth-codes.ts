import { and, eq, lt, sql } from 'drizzle-orm'
import { DAY_MS } from '../../time'
import type { Db } from '../db/client'
import { once, preparedSql, runBatch } from '../db/prepared'
import { type AuditRow, type DeviceRow, type OauthCodeRow, oauthCodes, type UserRow } from '../db/schema'
import type { PermissionGrant } from './permission-grants'
import { type NewSession, sessionOpening } from './session-opening'

export type NewOauthCode = Omit<OauthCodeRow, 'pool' | 'usedAt' | 'sessionId'>

/** How long a code's row outlives its expiry, so a late replay still finds (and revokes) what it issued. */
const KEPT_AFTER_EXPIRY_MS = DAY_MS

const at = sql.placeholder

/**
 * Authorization codes of one pool (RFC 6749 §4.1, SPEC §15): stored as hashes, single use. A code
 * of one pool is unknown to every other pool's token endpoint.
 */
export function oauthCodesRepo(db: Db, pool: string) {
  const d1 = db.$client
  const exchange = once(() => {
    // The code is spent by the one exchange that names the session it opens, and only while the
    // browser session that approved it lives (a logout in between leaves nothing to exchange).
    const consume = preparedSql<{ hash: string }>(
      d1,
      sql`UPDATE oauth_codes SET used_at = ${at('now')}, session_id = ${at('sessionId')}
      WHERE hash = ${at('codeHash')} AND pool = ${pool} AND used_at IS NULL AND expires_at > ${at('now')}
        AND EXISTS (SELECT 1 FROM sessions WHERE id = oauth_codes.browser_session_id AND revoked_at IS NULL AND expires_at > ${at('now')})
      RETURNING hash`,
    )
    const spent = sql`EXISTS (SELECT 1 FROM oauth_codes WHERE hash = ${at('codeHash')} AND session_id = ${at('sessionId')})`
    return { consume, opening: sessionOpening(db, spent, pool) }
  })

  return {
    /** Stores a new code, and drops the pool's codes long expired: one round trip. */
    async save(code: NewOauthCode): Promise<void> {
      await db.batch([
        db.insert(oauthCodes).values({ ...code, pool }),
        db
          .delete(oauthCodes)
          .where(and(eq(oauthCodes.pool, pool), lt(oauthCodes.expiresAt, code.createdAt - KEPT_AFTER_EXPIRY_MS))),
      ])
    },

    byHash: (hash: string): Promise<OauthCodeRow | undefined> =>
      db
        .select()
        .from(oauthCodes)
        .where(and(eq(oauthCodes.hash, hash), eq(oauthCodes.pool, pool)))
        .get(),

    /**
     * Spends the code and opens `session` (its id recorded on the code, RFC 6749 §4.1.2), its user's
     * last login, devices and grants read, in one D1 transaction: of two exchanges of one code
     * exactly one opens a session. `opened` is undefined when the code was not spent here.
     */
    async exchange(i: {
      codeHash: string
      now: number
      session: NewSession
      audit: AuditRow
    }): Promise<{ opened: { user: UserRow; devices: DeviceRow[]; grants: PermissionGrant[] } | undefined }> {
      const q = exchange()
      const values = { codeHash: i.codeHash, now: i.now, sessionId: i.session.id }
      const [consumed, , stamped, devices, grants] = await runBatch(d1, [
        q.consume(values),
        ...q.opening.statements(i.session, i.audit, values),
      ])
      const user = stamped[0]
      return { opened: consumed.length === 1 && user ? { user, devices, grants } : undefined }
    },
  }
}

export type OauthCodesRepo = ReturnType<typeof oauthCodesRepo>
