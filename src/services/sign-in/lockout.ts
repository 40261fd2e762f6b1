import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import type { LockRow } from '../../storage/repos/login-failures'
import { DAY_MS } from '../../time'
import { ipBucket, type RequestCounter, turnstileAccepts } from '../limits'
import type { ClientInfo } from '../sessions'

/**
 * Password lockout (SPEC §6.1; OWASP: no lockout an attacker can trigger). Failed attempts are
 * counted per identifier and per identifier and client IP bucket (`pair`); from
 * LOGIN_LOCKOUT_THRESHOLD on, each row is locked for 1, 2, 4 … minutes, never more than
 * LOGIN_LOCKOUT_MAX_MINUTES. A locked pair refuses its bucket. A locked identifier refuses every
 * bucket except one that signed in to the account in the last 30 days, or an attempt carrying a
 * valid Turnstile token: failures from elsewhere never lock the owner out.
 *
 * Failures are counted when they fail, but an attempt takes an in-flight slot of each row before
 * its password is hashed, and failures plus slots never pass the threshold: concurrent wrong
 * guesses cannot slip past it. An attempt refused only because others are still being checked
 * waits for their outcome and asks again, so concurrent right passwords are never refused.
 */

const KNOWN_BUCKET_MS = 30 * DAY_MS
/** How long an attempt may wait for those in flight before it is refused (429, retry in 1 s). */
const WAIT_BUDGET_MS = 3_000

export interface LockoutKeys {
  identifier: string
  pair: string
}

/** The rows an attempt on `identifier` from `ip` is counted in. */
export function lockoutKeys(identifier: string, ip: string): LockoutKeys {
  return { identifier, pair: `bucket:${ipBucket(ip)}|${identifier}` }
}

/** The first admission round, for the caller's own batch (after its request counter's hit). */
export function admissionStatements(deps: Deps, keys: LockoutKeys, request?: RequestCounter) {
  const base = { now: deps.now(), threshold: deps.config.LOGIN_LOCKOUT_THRESHOLD, request }
  return [
    deps.loginFailures.stateStatement(keys.identifier, keys.pair),
    deps.loginFailures.admitStatement({ ...base, key: keys.identifier }),
    deps.loginFailures.admitStatement({ ...base, key: keys.pair }),
  ] as const
}

export type AdmissionRound = readonly [LockRow[], { inFlight: number }[], { inFlight: number }[]]

export interface AttemptInput {
  keys: LockoutKeys
  client: ClientInfo
  /** The account the identifier names, if any: the buckets it signed in from pass an identifier lock. */
  holder: UserRow | undefined
  /** A Turnstile token the client sent: valid, it passes an identifier lock (never a pair's). */
  turnstileToken?: string | undefined
}

/** An admitted attempt: settle it once with whether the password was right. */
export interface Attempt {
  settle(ok: boolean): void
}

// Attempts of this isolate being checked, by row: a waiting attempt wakes when one settles.
const settling = new Map<string, Set<Promise<void>>>()

const lockedOut = (until: number, now: number) =>
  new AppError('rate_limited', 'Too many failed logins; try again later, or log in with a code', {
    retryAfter: retryAfterSeconds(until - now),
  })

const isLocked = (row: LockRow | undefined, now: number): row is LockRow => row !== undefined && row.lockedUntil > now

/**
 * Admits a password attempt or throws 429 `rate_limited` (with Retry-After), before any hashing.
 * `round` is the result of `admissionStatements`, run by the caller.
 */
export async function admitAttempt(deps: Deps, input: AttemptInput, round: AdmissionRound): Promise<Attempt> {
  const { keys } = input
  const held = { identifier: round[1].length === 1, pair: round[2].length === 1 }
  let rows = round[0]
  let exempt: boolean | undefined
  const deadline = deps.now() + WAIT_BUDGET_MS
  for (let pause = 25; ; pause *= 2) {
    const now = deps.now()
    const row = (key: string) => rows.find((r) => r.key === key)
    const refuse = (until: number) => {
      const slots = [...(held.identifier ? [keys.identifier] : []), ...(held.pair ? [keys.pair] : [])]
      deps.defer(() => deps.loginFailures.release(slots))
      return lockedOut(until, now)
    }
    const pairRow = row(keys.pair)
    if (!held.pair && isLocked(pairRow, now)) throw refuse(pairRow.lockedUntil)
    const idRow = row(keys.identifier)
    let identifierOk = held.identifier
    if (!identifierOk && isLocked(idRow, now)) {
      // Only a locked identifier costs these look-ups; a normal login never makes them.
      exempt ??= await passesIdentifierLock(deps, input)
      if (!exempt) throw refuse(idRow.lockedUntil)
      identifierOk = true
    }
    if (identifierOk && held.pair) return settleable(deps, keys, held)
    // Refused only because other attempts are still being checked: wait for them, then ask again.
    if (now + pause > deadline) throw refuse(now + 1000)
    await waitForSettle([keys.identifier, keys.pair], pause)
    const again = await deps.loginFailures.admitAgain(
      keys,
      { identifier: !identifierOk, pair: !held.pair },
      // The request was counted under its per-IP limit in the first round; others' requests since do not refuse it.
      { now: deps.now(), threshold: deps.config.LOGIN_LOCKOUT_THRESHOLD },
    )
    rows = again.rows
    held.identifier ||= again.identifier
    held.pair ||= again.pair
  }
}

/** The client's bucket signed in to the account in the last 30 days, or it carries a valid Turnstile token. */
async function passesIdentifierLock(deps: Deps, input: AttemptInput): Promise<boolean> {
  // Looked up for an unknown identifier too (no rows): a locked known and unknown account answer alike.
  const ips = await deps.loginFailures.recentSignInIps(input.holder?.id ?? '', deps.now() - KNOWN_BUCKET_MS)
  const bucket = ipBucket(input.client.ip)
  if (input.holder && ips.some((ip) => ipBucket(ip) === bucket)) return true
  return input.turnstileToken !== undefined && (await turnstileAccepts(deps, input.turnstileToken, input.client.ip))
}

function settleable(deps: Deps, keys: LockoutKeys, held: { identifier: boolean; pair: boolean }): Attempt {
  let done: () => void = () => {}
  const settled = new Promise<void>((resolve) => {
    done = resolve
  })
  for (const key of [keys.identifier, keys.pair]) {
    const set = settling.get(key) ?? new Set()
    settling.set(key, set.add(settled))
  }
  let once = false
  return {
    settle(ok) {
      if (once) return
      once = true
      const now = deps.now()
      const rows = [
        { key: keys.identifier, held: held.identifier },
        { key: keys.pair, held: held.pair },
      ]
      const c = deps.config
      // After the answer: until it is written, the slot still counts, so nothing slips past.
      deps.defer(async () => {
        try {
          if (ok) await deps.loginFailures.clear(rows.map((r) => ({ ...r, now })))
          else {
            const limits = { now, threshold: c.LOGIN_LOCKOUT_THRESHOLD, maxMinutes: c.LOGIN_LOCKOUT_MAX_MINUTES }
            await deps.loginFailures.fail(rows.map((r) => ({ ...r, ...limits })))
          }
        } finally {
          for (const key of [keys.identifier, keys.pair]) {
            const set = settling.get(key)
            set?.delete(settled)
            if (set?.size === 0) settling.delete(key)
          }
          done()
        }
      })
    },
  }
}

/** Resolves when an attempt of this isolate on one of `keys` settles, or after `ms` (one in another isolate). */
function waitForSettle(keys: string[], ms: number): Promise<void> {
  const local = keys.flatMap((key) => [...(settling.get(key) ?? [])])
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([...local, timeout]).finally(() => clearTimeout(timer))
}
