import { env } from 'cloudflare:workers'
import { expect } from 'vitest'

/** The Retry-After of a limited answer, as whole seconds (asserted present and numeric). */
export function retryAfter(res: Response): number {
  const value = res.headers.get('retry-after')
  expect(value, 'Retry-After').toMatch(/^\d+$/)
  return Number(value)
}

const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join('')

let nextPrefix = Number(digits(3))

/**
 * A number prefix (the E.164 number without its last 4 digits) of a Tunisian mobile: `+2169` and
 * 3 digits, a new one at each call (from a random start), so tests of one file (storage is per
 * file) never share a range by chance: random ones collided about once in a hundred runs.
 */
export const tnPrefix = () => `+2169${String(nextPrefix++ % 1000).padStart(3, '0')}`

/** A random Tunisian mobile number, in E.164. */
export const tnMobile = () => `${tnPrefix()}${digits(4)}`

/** A random French mobile number (06 1x xx xx xx), in E.164. */
export const frMobile = () => `+3361${digits(7)}`

/**
 * Starts a new "day" for the SMS range and budget counters: they are shared by every test of a
 * file (storage is per file), so a test about one of them starts from zero.
 */
export async function resetSmsCounters(): Promise<void> {
  await env.DB.prepare("DELETE FROM rate_limits WHERE key LIKE 'sms:%'").run()
}

/** The current count of a D1 rate-limit counter (0 when it has no row). */
export async function counter(key: string): Promise<number> {
  return (await env.DB.prepare('SELECT count FROM rate_limits WHERE key = ?').bind(key).first<number>('count')) ?? 0
}

/** The audit rows of one type, oldest first, with their detail parsed. */
export async function auditOfType(type: string) {
  const { results } = await env.DB.prepare('SELECT * FROM audit_events WHERE type = ? ORDER BY id')
    .bind(type)
    .all<{ id: string; type: string; ip: string | null; subject_id: string | null; detail: string | null }>()
  return results.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }))
}
