import { decodeJwt } from 'jose'
import type { PolicyView } from '../../src/services/iam/policies'
import { call, json } from './app'

let n = 0
/** A policy name no other call of this run uses. */
export function newPolicyName(prefix = 'policy'): string {
  n++
  return `${prefix}-${Date.now().toString(36)}-${n}`
}

/** A policy as the API answers it. */
export type Policy = PolicyView

/** POST /policies as `token`; throws unless 201. */
export async function createPolicy(token: string, permissions: string[], extra: Record<string, unknown> = {}): Promise<Policy> {
  const res = await call('POST', '/api/v1/policies', { token, json: { name: newPolicyName(), permissions, ...extra } })
  if (res.status !== 201) throw new Error(`create policy failed: ${res.status} ${await res.text()}`)
  return json(res)
}

/** PUT /users/{id}/policies as `token`. */
export function assignPolicies(token: string, userId: string, policyIds: string[]): Promise<Response> {
  return call('PUT', `/api/v1/users/${userId}/policies`, { token, json: { policy_ids: policyIds } })
}

/** The `perms` claim of an access token (decoded, not verified). */
export function permsOf(accessToken: string): string[] {
  return decodeJwt(accessToken).perms as string[]
}

/** A valid POST /places body. */
export function placeBody(name = 'Borne Lac 2') {
  return { name, kind: 'ev_charger', lat: 36.8324, lng: 10.2366, address: 'Rue du Lac Windermere, Tunis' }
}
