import type { Deps } from '../../deps'
import { AppError, retryAfterSeconds } from '../../errors'
import { poolKey } from '../../pools'
import type { UserRow } from '../../storage/db/schema'
import type { Admission, AttemptKeys, BeginInput, LockRow } from '../../storage/repos/password-attempts'
import { DAY_MS } from '../../time'
import { assertUnderRequestLimit, ipBucket, type RequestCounter, turnstileAccepts } from '../limits'
import type { ClientInfo } from '../sessions'
import { type Attempt, admitted, waitForSettle } from './in-flight'

/**
 * Password lockout (SPEC §6.1; OWASP: no lockout an attacker can trigger). Failed attempts are
 * counted per identifier and per identifier and client IP bucket (`pair`); from
 * LOGIN_LOCKOUT_THRESHOLD on, each row is locked for 1, 2, 4 … minutes, never more than
 * LOGIN_LOCKOUT_MAX_MINUTES. A locked pair refuses its bucket. A locked identifier refuses every
 * bucket except one that signed in to the account in the last 30 days, or an attempt carrying a
 * valid Turnstile token: failures from elsewhere never lock the owner out. The same two pass an
 * identifier whose in-flight slots are full, so abandoned attempts do not lock the owner out either.
 *
 * Failures are counted when they fail, but an attempt takes an in-flight slot of each row before
 * its password is hashed, and failures plus slots never pass the threshold: concurrent wrong
 * guesses cannot slip past it. An attempt refused only because others are still being checked
 * waits for their outcome and asks again, so concurrent right passwords are never refused.
 */

const KNOWN_BUCKET_MS = 30 * DAY_MS
/** How long an attempt may wait for those in flight before it is refused (429, retry in 1 s). */
const WAIT_BUDGET_MS = 3_000

export interface AttemptInput {
  /** What the password is tried on: `phone:…`, `email:…`, `username:…`, `raw:…`, or `user:<id>` (re-entered). */
  identifier: string
  client: ClientInfo
  /** The endpoint's per-IP request limit, counted in the same round trip (429 over it, before any slot counts). */
  limit?: RequestCounter | undefined
  /** The account the identifier names, looked up in the same round trip. */
  lookup?: BeginInput['lookup']
  /** The account, when the caller already has it (a re-entered password). */
  holder?: UserRow | undefined
  /** A Turnstile token the client sent: valid, it passes an identifier lock (never a pair's). */
  turnstileToken?: string | undefined
}

/**
 * Begins a password attempt before any hashing: one round trip counts the request limit, reads the
 * lockout rows, takes the attempt's slots and looks up the account. Throws 429 `rate_limited` (with
 * Retry-After) over the request limit or while locked; else the attempt, to settle once checked.
 */
export async function beginAttempt(deps: Deps, input: AttemptInput): Promise<{ attempt: Attempt; user: UserRow | undefined }> {
  const now = deps.now()
  const identifier = poolKey(deps.pool, input.identifier)
  const keys: AttemptKeys = { identifier, pair: `bucket:${ipBucket(input.client.ip)}|${identifier}` }
  const threshold = deps.config.LOGIN_LOCKOUT_THRESHOLD
  const begun = await deps.passwordAttempts.begin({ keys, now, threshold, limit: input.limit, lookup: input.lookup })
  if (input.limit) assertUnderRequestLimit(deps, begun.limit, now)
  const user = begun.user ?? input.holder
  return { attempt: await admit(deps, { keys, user, input }, begun.admission), user }
}

const lockedOut = (until: number, now: number) =>
  new AppError('rate_limited', 'Too many failed logins; try again later, or log in with a code', {
    retryAfter: retryAfterSeconds(until - now),
  })

const isLocked = (row: LockRow | undefined, now: number): row is LockRow => row !== undefined && row.lockedUntil > now

interface Admitting {
  keys: AttemptKeys
  user: UserRow | undefined
  input: AttemptInput
}

/** Admits the attempt or throws 429 `rate_limited`, waiting for attempts in flight when only they are in the way. */
async function admit(deps: Deps, a: Admitting, first: Admission): Promise<Attempt> {
  const { keys } = a
  const held = { identifier: first.identifier, pair: first.pair }
  let rows = first.rows
  let exempt: boolean | undefined
  const deadline = deps.now() + WAIT_BUDGET_MS
  for (let pause = 25; ; pause *= 2) {
    const now = deps.now()
    const row = (key: string) => rows.find((r) => r.key === key)
    const refuse = (until: number) => {
      const slots = [...(held.identifier ? [keys.identifier] : []), ...(held.pair ? [keys.pair] : [])]
      deps.defer(() => deps.passwordAttempts.release(slots))
      return lockedOut(until, now)
    }
    const pairRow = row(keys.pair)
    if (!held.pair && isLocked(pairRow, now)) throw refuse(pairRow.lockedUntil)
    const idRow = row(keys.identifier)
    let identifierOk = held.identifier
    const locked = isLocked(idRow, now)
    // A locked identifier, or one whose slots others hold (abandoned attempts keep theirs for
    // IN_FLIGHT_TTL_MS, #7 of the issue 14 review), lets the owner's bucket or a Turnstile token
    // pass; the pair's own slot still bounds that bucket's guesses in flight. Only then do these
    // look-ups run; a normal login never makes them.
    if (!identifierOk && (locked || held.pair)) {
      exempt ??= await passesIdentifierLock(deps, a)
      if (!exempt && locked) throw refuse(idRow.lockedUntil)
      identifierOk = exempt
    }
    if (identifierOk && held.pair) return admitted(deps, keys, held)
    // Refused only because other attempts are still being checked: wait for them, then ask again.
    if (now + pause > deadline) throw refuse(now + 1000)
    await waitForSettle([keys.identifier, keys.pair], pause)
    const again = await deps.passwordAttempts.again({
      keys,
      want: { identifier: !identifierOk, pair: !held.pair },
      // The request was counted under its per-IP limit in the first round; others' requests since do not refuse it.
      now: deps.now(),
      threshold: deps.config.LOGIN_LOCKOUT_THRESHOLD,
    })
    rows = again.rows
    held.identifier ||= again.identifier
    held.pair ||= again.pair
  }
}

/** The client's bucket signed in to the account in the last 30 days, or it carries a valid Turnstile token. */
async function passesIdentifierLock(deps: Deps, a: Admitting): Promise<boolean> {
  const { client, turnstileToken } = a.input
  // Looked up for an unknown identifier too (no rows): a locked known and unknown account answer alike.
  const ips = await deps.passwordAttempts.recentSignInIps(a.user?.id ?? '', deps.now() - KNOWN_BUCKET_MS)
  const bucket = ipBucket(client.ip)
  if (a.user && ips.some((ip) => ipBucket(ip) === bucket)) return true
  return turnstileToken !== undefined && (await turnstileAccepts(deps, turnstileToken, client.ip))
}
