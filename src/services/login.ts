import type { Deps } from '../deps'
import { AppError } from '../errors'
import type { UserRow } from '../storage/db/schema'
import { audit } from './audit'
import { normalizeEmail, normalizeUsername, parsePhone } from './identifiers'
import { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from './lockout'
import { type DeliveryExtras, type Destination, deliverOtp, type OtpPurpose, reserveOtpForRequest } from './otp'
import { checkPassword } from './passwords'
import { assertUnderRequestLimit, requestCounter } from './request-limits'
import { assertCanSignIn, type ClientInfo, startSession, type TokenResponse } from './sessions'

export interface IdentifierInput {
  phone?: string | undefined
  email?: string | undefined
}

/** The destination a phone-or-email body names (exactly one is present; the schema checks that). */
export function destinationOf(deps: Deps, input: IdentifierInput): Destination {
  return input.phone !== undefined
    ? { channel: 'sms', address: parsePhone(input.phone, deps.config) }
    : { channel: 'email', address: normalizeEmail(input.email ?? '') }
}

export function findByDestination(deps: Deps, to: Destination): Promise<UserRow | undefined> {
  return to.channel === 'sms' ? deps.users.byPhone(to.address) : deps.users.byEmail(to.address)
}

const invalidCredentials = () => new AppError('invalid_credentials', 'Phone, email, username or password is incorrect')

/**
 * Password login. Unknown identifier and wrong password give the same 401 after the same work;
 * only a right password reveals that an account is pending (403) or disabled (403). Counts the
 * `login` group's per-IP request limit (for `/login` and `/token` alike).
 */
export async function loginWithPassword(
  deps: Deps,
  input: IdentifierInput & { username?: string | undefined; password: string },
  client: ClientInfo,
): Promise<TokenResponse> {
  let identifier: string
  let holder: ReturnType<typeof deps.users.holderQuery> | undefined
  if (input.username !== undefined) {
    const username = normalizeUsername(input.username)
    identifier = `username:${username}`
    holder = deps.users.holderQuery('username', username)
  } else {
    let to: Destination | undefined
    try {
      to = destinationOf(deps, input)
    } catch {
      to = undefined // an unparsable phone is just an unknown account
    }
    identifier = to ? `${to.channel}:${to.address}` : `raw:${(input.phone ?? input.email ?? '').slice(0, 64)}`
    holder = to && deps.users.holderQuery(to.channel === 'sms' ? 'phone' : 'email', to.address)
  }
  // The per-IP request limit, the identifier's lock and its account in one round trip. Limits
  // apply before any hashing: a client over its limit, or a locked identifier, costs no scrypt.
  const now = deps.now()
  const counter = requestCounter(deps, 'login', client.ip)
  const hit = deps.rateLimits.hitQuery(counter.key, counter.windowMs, now)
  const lockQuery = deps.loginFailures.lockQuery(identifier)
  const [hits, lock, found] = holder
    ? await deps.db.batch([hit, lockQuery, holder])
    : [...(await deps.db.batch([hit, lockQuery])), []]
  assertUnderRequestLimit(deps, hits[0], now)
  const hadFailures = assertNotLockedOut(deps, lock[0])
  const user: UserRow | undefined = found[0]
  if (!(await checkPassword(deps, user, input.password)) || !user) {
    await recordLoginFailure(deps, identifier)
    audit(deps, { type: 'login_failed', subjectId: user?.id, ...client, detail: { method: 'password' } })
    throw invalidCredentials()
  }
  if (hadFailures) deps.defer(() => clearLoginFailures(deps, identifier))
  assertCanSignIn(user)
  return startSession(deps, user, client, {
    type: 'login_succeeded',
    subjectId: user.id,
    actorId: user.id,
    ...client,
    detail: { method: 'password' },
  })
}

/**
 * Sends a code in the background and answers at once, identically for every account: the body
 * and the timing do not tell whether the account exists (SPEC §8). The send limits are applied
 * to the destination either way, so they do not tell either.
 */
export async function requestOtpInBackground(
  deps: Deps,
  purpose: OtpPurpose,
  to: Destination,
  client: ClientInfo,
  shouldSend: (user: UserRow | undefined) => boolean,
  extrasFor: (user: UserRow | undefined) => Promise<DeliveryExtras>,
  requestGroup: string,
): Promise<void> {
  // The endpoint's per-IP limit, the send limits, the reservation and the account lookup: one round trip.
  const { reservation, holder: user } = await reserveOtpForRequest(deps, purpose, to, client, requestGroup)
  if (!shouldSend(user)) return
  deps.defer(async () => {
    try {
      await deliverOtp(deps, reservation, { userId: user?.id, name: user?.name, ...(await extrasFor(user)) })
    } catch {
      // deliverOtp released the reservation and audited the failure; nobody is waiting for an answer.
    }
  })
}

/** `use_otp` login: a `login` code for an active account, or for a new phone with OTP_SIGNUP. */
export function requestLoginOtp(deps: Deps, input: IdentifierInput, client: ClientInfo): Promise<void> {
  const to = destinationOf(deps, input)
  return requestOtpInBackground(
    deps,
    'login',
    to,
    client,
    (user) => (user ? user.status === 'active' : deps.config.OTP_SIGNUP && to.channel === 'sms'),
    async () => ({}),
    'login',
  )
}
