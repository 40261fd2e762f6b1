import { z } from 'zod'

/**
 * "Revoked before" marks read by the auth middleware (SPEC §6.3). A user mark kills every
 * session created at or before `before` except `keep`; a session mark kills one session. Both
 * live as long as an access token can, after which every older token has expired anyway.
 */
const UserMark = z.object({ before: z.number(), keep: z.string().nullable() })
export type UserMark = z.infer<typeof UserMark>

const userKey = (userId: string) => `rv:u:${userId}`
const sessionKey = (sessionId: string) => `rv:s:${sessionId}`

export function revocationsStore(kv: KVNamespace, ttlSeconds: number) {
  const opts = { expirationTtl: Math.max(60, ttlSeconds) }
  return {
    markUser: (userId: string, mark: UserMark) => kv.put(userKey(userId), JSON.stringify(mark), opts),
    markSession: (sessionId: string) => kv.put(sessionKey(sessionId), '1', opts),

    /** Both marks of a token in one KV operation (a bulk get). */
    async lookup(userId: string, sessionId: string): Promise<{ user: UserMark | null; sessionRevoked: boolean }> {
      const found = await kv.get([userKey(userId), sessionKey(sessionId)], 'json')
      const user = UserMark.safeParse(found.get(userKey(userId)))
      return { user: user.success ? user.data : null, sessionRevoked: found.get(sessionKey(sessionId)) != null }
    },
  }
}

export type RevocationsStore = ReturnType<typeof revocationsStore>
