import { z } from 'zod'
import { lru } from '../../lib/lru'
import { SECOND_MS } from '../../time'

// `uid`: the account the code was sent to, when there was one (lets verify sign it in in one D1 batch).
const Entry = z.object({ id: z.string(), mac: z.string(), uid: z.string().optional() })
export type OtpCodeEntry = z.infer<typeof Entry>

/** Entries one isolate remembers writing; the oldest are forgotten first. */
export const MEMO_CODES = 1000

export interface OtpCodesOptions {
  clock?: () => number
  /** Put before each destination: a pool's codes under keys of their own (`user1/`; none for `default`). */
  scope?: string
}

/**
 * The KV half of a one-time code: the code's HMAC and the id of its D1 challenge row, under
 * (purpose, destination), expiring with the code. Never the code itself.
 *
 * The isolate also remembers the entries it wrote (`recall`), until they expire: a verify that
 * reaches the isolate that sent the code needs no KV read, and does not depend on KV having
 * propagated the write. A remembered entry can be stale (another isolate sent a newer code since):
 * the D1 challenge decides, and a caller whose recalled challenge did not take the guess reads KV.
 */
export function otpCodesStore(kv: KVNamespace, { clock = Date.now, scope = '' }: OtpCodesOptions = {}) {
  const key = (purpose: string, destination: string) => `otp:${purpose}:${scope}${destination}`
  const written = lru<string, OtpCodeEntry>({ max: MEMO_CODES, clock })

  return {
    async put(purpose: string, destination: string, entry: OtpCodeEntry, ttlSeconds: number) {
      const k = key(purpose, destination)
      written.delete(k)
      await kv.put(k, JSON.stringify(entry), { expirationTtl: Math.max(60, ttlSeconds) })
      written.set(k, entry, ttlSeconds * SECOND_MS) // the newest; past MEMO_CODES the oldest goes
    },

    /** The entry this isolate wrote last for (purpose, destination), while unexpired; no I/O. */
    recall(purpose: string, destination: string): OtpCodeEntry | null {
      return written.peek(key(purpose, destination)) ?? null
    },

    /** Drops the isolate's copy (its challenge is used, or proved stale). */
    forget(purpose: string, destination: string) {
      written.delete(key(purpose, destination))
    },

    /** The entries of several purposes at one destination, in one KV call (a bulk get); absent ones left out. */
    async getMany<P extends string>(purposes: readonly P[], destination: string): Promise<{ purpose: P; entry: OtpCodeEntry }[]> {
      const found = await kv.get(
        purposes.map((p) => key(p, destination)),
        'json',
      )
      return purposes.flatMap((purpose) => {
        const parsed = Entry.safeParse(found.get(key(purpose, destination)))
        return parsed.success ? [{ purpose, entry: parsed.data }] : []
      })
    },

    async get(purpose: string, destination: string): Promise<OtpCodeEntry | null> {
      const parsed = Entry.safeParse(await kv.get(key(purpose, destination), 'json'))
      return parsed.success ? parsed.data : null
    },
  }
}

export type OtpCodesStore = ReturnType<typeof otpCodesStore>
