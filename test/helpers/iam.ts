import { env } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import { call, json } from './app'
import { PASSWORD } from './factories'
import { activeUser } from './otp'
import type { Outbox } from './outbox'
import { createStaff, createSuperAdmin, newUsername, type Staff, staffLogin } from './staff'

/** The five kinds of caller of the hierarchy table (SPEC §6.5, §7). */
export type Who = 'super_admin' | 'admin' | 'client' | 'subclient' | 'end_user'
export const EVERYONE: Who[] = ['super_admin', 'admin', 'client', 'subclient', 'end_user']

export interface Caller {
  id: string
  access_token: string
  refresh_token: string
}

/**
 * A fresh hierarchy: a super admin, an admin it made, a client the admin made with one
 * sub-client, a second client with its own sub-client, and a signed-up end user.
 */
export interface Cast extends Record<Exclude<Who, 'end_user'>, Staff> {
  end_user: Caller
  other_client: Staff
  other_subclient: Staff
  end_user_phone: string
}

export async function newCast(box: Outbox): Promise<Cast> {
  const super_admin = await createSuperAdmin()
  const admin = await createStaff(super_admin, 'admin')
  const client = await createStaff(admin, 'client')
  const subclient = await createStaff(client, 'subclient')
  const other_client = await createStaff(admin, 'client')
  const other_subclient = await createStaff(other_client, 'subclient')
  const user = await activeUser(box)
  const end_user = { id: user.user.id, access_token: user.access_token, refresh_token: user.refresh_token }
  return { super_admin, admin, client, subclient, other_client, other_subclient, end_user, end_user_phone: user.phone }
}

/** The claims that matter here, decoded (not verified) from an access token. */
export function claimsOf(accessToken: string): { role: string; perms: string[] } {
  const { role, perms } = decodeJwt(accessToken)
  return { role: String(role), perms: perms as string[] }
}

/** POST /policies as `admin`, under a name no other test uses; returns the policy id. */
export async function newPolicy(admin: Caller, permissions: string[]): Promise<string> {
  const res = await call('POST', '/api/v1/policies', {
    token: admin.access_token,
    json: { name: newUsername('policy'), permissions },
  })
  if (res.status !== 201) throw new Error(`create policy failed: ${res.status} ${await res.text()}`)
  return (await json(res)).id
}

/** PUT /users/{id}/policies as `actor`. */
export function putPolicies(actor: Caller, userId: string, policyIds: string[]): Promise<Response> {
  return call('PUT', `/api/v1/users/${userId}/policies`, { token: actor.access_token, json: { policy_ids: policyIds } })
}

/** PUT /users/{id}/policies that must succeed. */
export async function grant(actor: Caller, userId: string, policyIds: string[]): Promise<void> {
  const res = await putPolicies(actor, userId, policyIds)
  if (res.status !== 200) throw new Error(`assign policies failed: ${res.status} ${await res.text()}`)
}

/** PUT /roles/{role}/policies as `actor` (SPEC §13). */
export function putRolePolicies(actor: Caller, role: string, policyIds: string[], env?: Record<string, string>) {
  return call('PUT', `/api/v1/roles/${role}/policies`, { token: actor.access_token, json: { policy_ids: policyIds }, env })
}

/** PUT /roles/{role}/policies that must succeed. */
export async function grantRole(actor: Caller, role: string, policyIds: string[]): Promise<void> {
  const res = await putRolePolicies(actor, role, policyIds)
  if (res.status !== 200) throw new Error(`role policies failed: ${res.status} ${await res.text()}`)
}

/** GET /roles/{role}/policies as `actor`. */
export const getRolePolicies = (actor: Caller, role: string, env?: Record<string, string>) =>
  call('GET', `/api/v1/roles/${role}/policies`, { token: actor.access_token, env })

/** A staff account's next token (a new login), which carries its permissions as they are now. */
export const relogin = (s: Staff) => staffLogin(s.username)

/** A valid POST /places body. */
export const placeBody = () => ({ name: `Station ${newUsername('p')}`, kind: 'ev_charger', lat: 36.8, lng: 10.18 })

export const getPlaces = (token: string) => call('GET', '/api/v1/places', { token })
export const postPlace = (token: string, body: unknown = placeBody()) => call('POST', '/api/v1/places', { token, json: body })

/** Every item of a list endpoint, following `next_cursor` to the end. */
// biome-ignore lint/suspicious/noExplicitAny: test data
export async function listAll(path: string, token: string): Promise<any[]> {
  // biome-ignore lint/suspicious/noExplicitAny: test data
  const items: any[] = []
  let cursor: string | null = null
  do {
    const sep = path.includes('?') ? '&' : '?'
    const url: string = `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const res = await call('GET', url, { token })
    if (res.status !== 200) throw new Error(`list ${path} failed: ${res.status} ${await res.text()}`)
    const body = await json(res)
    items.push(...body.items)
    cursor = body.next_cursor
  } while (cursor)
  return items
}

/** The user's row as stored (null once deleted). */
export function userRow(id: string) {
  return env.DB.prepare('SELECT id, username, role, status, parent_id FROM users WHERE id = ?')
    .bind(id)
    .first<{ id: string; username: string | null; role: string; status: string; parent_id: string | null }>()
}

/** How many accounts hold this username (after normalisation). */
export async function usernameCount(username: string): Promise<number> {
  const row = await env.DB.prepare('SELECT count(*) AS n FROM users WHERE username = ?')
    .bind(username.toLowerCase())
    .first<{ n: number }>()
  return row?.n ?? 0
}

/** Creates a staff account with a chosen username as `creator` and logs it in. */
export async function createNamed(creator: Caller, kind: 'client' | 'subclient', username: string): Promise<Staff> {
  const res = await call('POST', `/api/v1/${kind}s`, { token: creator.access_token, json: { username, password: PASSWORD } })
  if (res.status !== 201) throw new Error(`create ${kind} failed: ${res.status} ${await res.text()}`)
  return staffLogin(username)
}
