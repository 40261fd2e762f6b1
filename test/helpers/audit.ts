import { env } from 'cloudflare:workers'
import type { AuditView } from '../../src/services/audit/audit'
import { call, json } from './app'
import { newIp } from './otp'

/** An audit event as GET /audit answers it. */
export type AuditItem = AuditView

let agents = 0
/**
 * Where a request comes from: a fresh client address and User-Agent per call, so an event can be
 * told apart by its `ip` and `user_agent`. Spread into `call` options.
 */
export function origin(): { ip: string; headers: Record<string, string> } {
  agents++
  return { ip: newIp(), headers: { 'user-agent': `edge-auth-audit-test/${agents} (Android 14)` } }
}

/** GET /audit as `token` with a query string; throws unless 200. */
export async function readAudit(token: string, query = ''): Promise<{ items: AuditItem[]; next_cursor: string | null }> {
  const res = await call('GET', `/api/v1/audit${query ? `?${query}` : ''}`, { token })
  if (res.status !== 200) throw new Error(`audit read failed: ${res.status} ${await res.text()}`)
  return json(res)
}

/** Every audit row as stored in D1, whatever the API shows. */
export async function allAuditRows(): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare('SELECT * FROM audit_events').all<Record<string, unknown>>()
  return results
}

/** The id of the account registered with `phone`, read from D1. */
export async function userIdByPhone(phone: string): Promise<string> {
  const row = await env.DB.prepare('SELECT id FROM users WHERE phone = ?').bind(phone).first<{ id: string }>()
  if (!row) throw new Error(`no user with phone ${phone}`)
  return row.id
}
