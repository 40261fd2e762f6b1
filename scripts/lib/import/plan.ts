// What an import does with each valid record, decided before anything is written: import it,
// skip it (already there, or its phone/email/username/device is another account's in the pool),
// or refuse it (it repeats an earlier line of the file, or its id is another pool's account).
// Pure: the existing accounts come in as `Existing`, read from D1 by state.ts.
import type { ImportUser } from './validate'

/** What D1 already holds that an import can collide with. */
export interface Existing {
  /** Every account's id (ids are unique across pools) with its pool and role. */
  accounts: Map<string, { pool: string; role: string }>
  /** The target pool's identifiers and device ids, each to the id of the account holding it. */
  phones: Map<string, string>
  emails: Map<string, string>
  usernames: Map<string, string>
  devices: Map<string, string>
}

export const emptyExisting = (): Existing => ({
  accounts: new Map(),
  phones: new Map(),
  emails: new Map(),
  usernames: new Map(),
  devices: new Map(),
})

export type Outcome = 'import' | 'skip' | 'refuse'

export interface Decision {
  line: number
  outcome: Outcome
  /** Why it is skipped or refused; absent for an import and a plain "already there". */
  reason?: string
  /** The account, for `import` (and the id of what is already there, for `skip`). */
  user?: ImportUser
}

interface Line {
  line: number
  user: ImportUser
}

type Key = 'phone' | 'email' | 'username'
const KEYS: { key: Key; map: keyof Existing }[] = [
  { key: 'phone', map: 'phones' },
  { key: 'email', map: 'emails' },
  { key: 'username', map: 'usernames' },
]

/** The first conflict of `user` with what earlier lines of the file claimed: the field, value and line. */
function fileConflict(user: ImportUser, seen: Map<string, number>): string | undefined {
  const claims = [
    [`id:${user.id}`, `id ${user.id}`],
    ...KEYS.flatMap(({ key }) => (user[key] ? [[`${key}:${user[key]}`, `${key} ${user[key]}`]] : [])),
    ...user.devices.map((d) => [`device:${d.deviceId}`, `device ${d.deviceId}`]),
  ] as [string, string][]
  for (const [claim, label] of claims) {
    const line = seen.get(claim)
    if (line !== undefined) return `${label} is also on line ${line}`
  }
  return undefined
}

function claim(user: ImportUser, line: number, seen: Map<string, number>): void {
  seen.set(`id:${user.id}`, line)
  for (const { key } of KEYS) if (user[key]) seen.set(`${key}:${user[key]}`, line)
  for (const d of user.devices) seen.set(`device:${d.deviceId}`, line)
}

/** Why `user` collides with an account already in D1, and whether that is a refusal. */
function existingConflict(user: ImportUser, existing: Existing): { outcome: 'skip' | 'refuse'; reason?: string } | undefined {
  const there = existing.accounts.get(user.id)
  if (there && there.pool === user.pool) return { outcome: 'skip' }
  if (there) return { outcome: 'refuse', reason: `id ${user.id} is an account of the pool ${there.pool}` }
  for (const { key, map } of KEYS) {
    const value = user[key]
    const holder = value ? existing[map].get(value) : undefined
    if (!holder) continue
    // Without an id the record cannot tell whether it is that account: say so (a re-run finds them all).
    const whose = user.idGiven ? `another account (${holder})` : `the account ${holder} (the record has no id: imported before?)`
    return { outcome: 'skip', reason: `${key} ${value} belongs to ${whose} of the pool` }
  }
  for (const d of user.devices) {
    const holder = existing.devices.get(d.deviceId)
    if (holder) return { outcome: 'skip', reason: `device ${d.deviceId} belongs to another account (${holder}) of the pool` }
  }
  return undefined
}

/**
 * Decides every valid line, in file order: the first line to claim an id, identifier or device
 * wins and later ones are refused; a line whose id is already in the pool is skipped as already
 * there (never overwritten), one whose identifier or device another account holds is skipped with
 * the reason. A subclient's `parent_id` must be a client already there or imported by this file.
 */
export function planImport(lines: Line[], existing: Existing): Decision[] {
  const seen = new Map<string, number>()
  const decisions: Decision[] = lines.map(({ line, user }) => {
    const duplicate = fileConflict(user, seen)
    if (duplicate) return { line, outcome: 'refuse', reason: duplicate }
    claim(user, line, seen)
    const conflict = existingConflict(user, existing)
    return conflict ? { line, ...conflict, user } : { line, outcome: 'import', user }
  })
  const clients = new Set(
    [...existing.accounts]
      .flatMap(([id, a]) => (a.role === 'client' ? [id] : []))
      .concat(decisions.flatMap((d) => (d.outcome === 'import' && d.user?.role === 'client' ? [d.user.id] : []))),
  )
  return decisions.map((d) => {
    const parent = d.outcome === 'import' ? d.user?.parentId : null
    if (!parent || clients.has(parent)) return d
    return { line: d.line, outcome: 'refuse', reason: `parent_id ${parent} is no client already there or imported by this file` }
  })
}
