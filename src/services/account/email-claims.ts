import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'
import { audit } from '../audit'
import { isStaff } from '../iam'

/**
 * Whether another account holds `email` against a new claim (409 `email_taken`): once it has
 * verified it, when it is that active account's only identifier, or when a staff account holds
 * it (an admin set it). An email no end user has proved reserves nothing, so typing someone
 * else's address cannot lock its owner out. Registration adds one case (register.ts): a pending
 * account whose `register` code is still unexpired is never taken over (SPEC §6.1). Taking an
 * email is safe under SPEC §5 because every code is bound to the account it was sent for, as it
 * was then: a code already sent for the old holder dies with the move.
 */
export function emailIsTaken(holder: UserRow | undefined): boolean {
  if (!holder || holder.status === 'pending') return false
  return holder.emailVerified || isStaff(holder.role) || (!holder.phone && !holder.username)
}

/** An account holding a phone or email, and whether a `register` code sent for it (as it is) still lives. */
export interface Held {
  user: UserRow
  liveCode: number
}

/**
 * A pending registration whose `register` code is still unexpired: its phone and email are not
 * taken over, by a registration (SPEC §6.1) nor by another account's change (SPEC §6.2).
 */
export const isLivePending = (h: Held) => h.user.status === 'pending' && h.liveCode === 1

/**
 * Takes an unproven email from the accounts holding it (see `emailIsTaken`), before `keep`
 * stores it: their cached profiles are dropped, and each loss is audited.
 */
export async function claimEmail(deps: Deps, email: string, keep: { id?: string; phone?: string | null }): Promise<void> {
  await forgetReleased(deps, await deps.users.releaseUnprovenEmail(email, keep, deps.now()))
}

/** After accounts lost an unproven email to another claim: their cached profiles go, each loss is audited. */
export async function forgetReleased(deps: Deps, released: string[]): Promise<void> {
  for (const id of released) {
    await deps.authState.dropProfile(id)
    audit(deps, { type: 'user_updated', subjectId: id, detail: { email: 'released', reason: 'claimed_by_another_account' } })
  }
}
