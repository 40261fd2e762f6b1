import { z } from 'zod'

/**
 * What the auth middleware reads on every request, in ONE KV operation (a bulk get):
 * - "revoked before" marks (SPEC §6.3): a user mark kills every session created at or before
 *   `before` except `keep`; a session mark kills one session. Both live as long as an access
 *   token can, after which every older token has expired anyway;
 * - the user's cached profile (the user object of GET /me), so a plain authenticated GET needs
 *   no D1 query. It is dropped whenever the user or their devices change, and expires anyway.
 */
const UserMark = z.object({ before: z.number(), keep: z.string().nullable() })
export type UserMark = z.infer<typeof UserMark>

const userKey = (userId: string) => `rv:u:${userId}`
const sessionKey = (sessionId: string) => `rv:s:${sessionId}`
const profileKey = (userId: string) => `pf:${userId}`

export const PROFILE_TTL_SECONDS = 300

export interface AuthState {
  user: UserMark | null
  sessionRevoked: boolean
  /** The cached user object, unvalidated JSON; null on a miss. */
  profile: unknown
}

export function revocationsStore(kv: KVNamespace, ttlSeconds: number) {
  const opts = { expirationTtl: Math.max(60, ttlSeconds) }
  return {
    markUser: (userId: string, mark: UserMark) => kv.put(userKey(userId), JSON.stringify(mark), opts),
    markSession: (sessionId: string) => kv.put(sessionKey(sessionId), '1', opts),

    async lookup(userId: string, sessionId: string): Promise<AuthState> {
      const found = await kv.get([userKey(userId), sessionKey(sessionId), profileKey(userId)], 'json')
      const user = UserMark.safeParse(found.get(userKey(userId)))
      return {
        user: user.success ? user.data : null,
        sessionRevoked: found.get(sessionKey(sessionId)) != null,
        profile: found.get(profileKey(userId)) ?? null,
      }
    },

    putProfile: (userId: string, profile: unknown) =>
      kv.put(profileKey(userId), JSON.stringify(profile), { expirationTtl: PROFILE_TTL_SECONDS }),

    dropProfile: (userId: string) => kv.delete(profileKey(userId)),
  }
}

export type RevocationsStore = ReturnType<typeof revocationsStore>
