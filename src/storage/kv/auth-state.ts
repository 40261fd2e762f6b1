import { z } from 'zod'
import { type Lru, lru } from '../../lib/lru'

/**
 * What the auth middleware needs on every request, read in ONE KV operation (a bulk get):
 * - "revoked before" marks (SPEC §6.3): a user mark kills every session created at or before
 *   `before` except `keep`; a session mark kills one session. Both live as long as an access
 *   token can, after which every older token has expired anyway;
 * - the user's cached profile (the user object of GET /me), so a plain authenticated GET needs
 *   no D1 query. It is dropped whenever the user or their devices change, and expires anyway.
 *
 * The answer is remembered in the isolate for `memoMs` (AUTH_STATE_CACHE_SECONDS), so a burst of
 * calls with one token reads KV once. Every write through this store updates or forgets the
 * isolate's copy before it returns, so a revocation is effective at once in the isolate that
 * made it; other isolates see it when their copy ages out (≤ memoMs), or KV's propagation time.
 */
const UserMark = z.object({ before: z.number(), keep: z.string().nullable() })
export type UserMark = z.infer<typeof UserMark>

const userKey = (userId: string) => `rv:u:${userId}`
const sessionKey = (sessionId: string) => `rv:s:${sessionId}`
const profileKey = (userId: string) => `pf:${userId}`

export const PROFILE_TTL_SECONDS = 300
/** Users whose state one isolate remembers; the least recently read are forgotten first. */
export const MEMO_USERS = 2000
/** Sessions remembered per user (one account can hold many); the oldest are forgotten first. */
export const MEMO_SESSIONS_PER_USER = 32

export interface AuthState {
  user: UserMark | null
  sessionRevoked: boolean
  /** The cached user object, unvalidated JSON; null on a miss. */
  profile: unknown
}

interface Memo {
  state: AuthState
}

export interface AuthStateOptions {
  /** How long marks live in KV: at least an access token's lifetime. */
  markTtlSeconds: number
  /** How long the isolate remembers a lookup; 0 reads KV on every request. */
  memoMs: number
  clock?: () => number
  /** How long to wait before writing a mark again after KV refused it for its rate (tests shorten it). */
  retryAfterMs?: number
}

/** KV takes one write per key per second; a second mark of one user within it is refused (429). */
const isWriteRateLimited = (err: unknown) => /\b429\b|too many requests/i.test(String((err as Error)?.message ?? err))

export function authStateStore(
  kv: KVNamespace,
  { markTtlSeconds, memoMs, clock = Date.now, retryAfterMs = 1100 }: AuthStateOptions,
) {
  const opts = { expirationTtl: Math.max(60, markTtlSeconds) }
  /**
   * A mark must not be lost: a revocation that KV refused would let the tokens live on. Two marks
   * of one key within a second (a logout everywhere, then a suspension) meet KV's write rate, so
   * the second is written again once the second has passed.
   */
  const putMark = async (key: string, value: string) => {
    try {
      await kv.put(key, value, opts)
    } catch (err) {
      if (!isWriteRateLimited(err)) throw err
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs))
      await kv.put(key, value, opts)
    }
  }
  // userId → sessionId → what KV said, for memoMs: users forgotten least recently read first,
  // a user's sessions oldest remembered first.
  const memo = lru<string, Lru<string, Memo>>({ max: MEMO_USERS })
  // Bumped by every write: a lookup that raced a write does not remember what it read.
  let generation = 0

  const forget = (userId: string) => {
    generation++
    memo.delete(userId)
  }

  /** A KV write about a user: the isolate's copy is forgotten before it and after it. */
  async function writing(userId: string, write: Promise<unknown>) {
    forget(userId)
    await write
    forget(userId)
  }

  /** The isolate's copies of a user's sessions take a new profile. */
  function setProfile(userId: string, profile: unknown) {
    generation++
    for (const m of memo.peek(userId)?.values() ?? []) m.state = { ...m.state, profile }
  }

  function remember(userId: string, sessionId: string, state: AuthState) {
    if (memoMs <= 0) return
    const sessions = memo.peek(userId) ?? lru<string, Memo>({ max: MEMO_SESSIONS_PER_USER, ttlMs: memoMs, clock })
    memo.set(userId, sessions) // the most recently read user
    sessions.set(sessionId, { state })
  }

  return {
    markUser: (userId: string, mark: UserMark) => writing(userId, putMark(userKey(userId), JSON.stringify(mark))),

    markSession: (userId: string, sessionId: string) => writing(userId, putMark(sessionKey(sessionId), '1')),

    async lookup(userId: string, sessionId: string): Promise<AuthState> {
      const known = memo.peek(userId)?.peek(sessionId) // unexpired only
      if (known) {
        memo.get(userId) // the most recently read user
        return known.state
      }
      const before = generation
      const found = await kv.get([userKey(userId), sessionKey(sessionId), profileKey(userId)], 'json')
      const user = UserMark.safeParse(found.get(userKey(userId)))
      const state: AuthState = {
        user: user.success ? user.data : null,
        sessionRevoked: found.get(sessionKey(sessionId)) != null,
        profile: found.get(profileKey(userId)) ?? null,
      }
      if (generation === before) remember(userId, sessionId, state)
      return state
    },

    /** Caches the profile in KV; this isolate's copies take it at once. */
    putProfile(userId: string, profile: unknown) {
      setProfile(userId, profile)
      return kv.put(profileKey(userId), JSON.stringify(profile), { expirationTtl: PROFILE_TTL_SECONDS })
    },

    /**
     * A session opened just now in this isolate, with the profile built for it: no mark can
     * concern it yet, so the isolate knows its state without reading KV (a mark set later here
     * forgets it like any other). KV is not written: other isolates refill their copy on their
     * first call (GET /me refuses a cached profile older than the session's login).
     */
    sessionOpened(userId: string, sessionId: string, profile: unknown) {
      setProfile(userId, profile)
      remember(userId, sessionId, { user: null, sessionRevoked: false, profile })
    },

    dropProfile: (userId: string) => writing(userId, kv.delete(profileKey(userId))),
  }
}

export type AuthStateStore = ReturnType<typeof authStateStore>
