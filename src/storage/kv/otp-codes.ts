import { z } from 'zod'

// `uid`: the account the code was sent to, when there was one (lets verify sign it in in one D1 batch).
const Entry = z.object({ id: z.string(), mac: z.string(), uid: z.string().optional() })
export type OtpCodeEntry = z.infer<typeof Entry>

const key = (purpose: string, destination: string) => `otp:${purpose}:${destination}`

/**
 * The KV half of a one-time code: the code's HMAC and the id of its D1 challenge row, under
 * (purpose, destination), expiring with the code. Never the code itself.
 */
export function otpCodesStore(kv: KVNamespace) {
  return {
    put: (purpose: string, destination: string, entry: OtpCodeEntry, ttlSeconds: number) =>
      kv.put(key(purpose, destination), JSON.stringify(entry), { expirationTtl: Math.max(60, ttlSeconds) }),

    async get(purpose: string, destination: string): Promise<OtpCodeEntry | null> {
      const parsed = Entry.safeParse(await kv.get(key(purpose, destination), 'json'))
      return parsed.success ? parsed.data : null
    },

    delete: (purpose: string, destination: string) => kv.delete(key(purpose, destination)),
  }
}

export type OtpCodesStore = ReturnType<typeof otpCodesStore>
