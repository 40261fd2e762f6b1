import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { type BatchStatement, runBatch } from '../../storage/db/prepared'
import type { UserRow } from '../../storage/db/schema'
import { audit } from '../audit'
import { normalizeEmail, normalizeUsername, parsePhone } from '../identifiers'
import { assertUnderRequestLimit, groupOf, type RequestGroup, refundSmsBudget, requestCounter } from '../limits'
import { type DeliveryExtras, type Destination, deliverOtp, type OtpPurpose, reserveOtpForRequest, storeUnsentOtp } from '../otp'
import { checkPassword } from '../passwords'
import { assertCanSignIn, type ClientInfo, startSession, type TokenResponse } from '../sessions'
import { admissionStatements, admitAttempt, lockoutKeys } from './lockout'

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
 * `login` group's per-IP request limit (for `/login` and `/token` alike), and the lockout of
 * `lockout.ts` (a valid `turnstile_token` passes a locked identifier, never the per-IP limit).
 */
export async function loginWithPassword(
  deps: Deps,
  input: IdentifierInput & { username?: string | undefined; password: string; turnstile_token?: string | undefined },
  client: ClientInfo,
): Promise<TokenResponse> {
  let identifier: string
  let holder: BatchStatement<UserRow[]> | undefined
  if (input.username !== undefined) {
    const username = normalizeUsername(input.username)
    identifier = `username:${username}`
    holder = deps.users.holderStatement('username', username)
  } else {
    let to: Destination | undefined
    try {
      to = destinationOf(deps, input)
    } catch {
      to = undefined // an unparsable phone is just an unknown account
    }
    identifier = to ? `${to.channel}:${to.address}` : `raw:${(input.phone ?? input.email ?? '').slice(0, 64)}`
    holder = to && deps.users.holderStatement(to.channel === 'sms' ? 'phone' : 'email', to.address)
  }
  // One round trip before any hashing: the per-IP request counter, the lockout rows (a slot of
  // each taken for this attempt unless locked or full), and the account. A client over its limit,
  // or a locked identifier, costs no scrypt.
  const now = deps.now()
  const counter = requestCounter(deps, groupOf('POST /auth/login'), client.ip)
  const keys = lockoutKeys(identifier, client.ip)
  const first = [
    deps.rateLimits.hitStatement(counter.key, counter.windowMs, now),
    ...admissionStatements(deps, keys, counter),
  ] as const
  const [hits, state, identifierSlot, pairSlot, found] = holder
    ? await runBatch(deps.db.$client, [...first, holder])
    : [...(await runBatch(deps.db.$client, first)), []]
  assertUnderRequestLimit(deps, hits[0], now)
  const user: UserRow | undefined = found[0]
  const attempt = await admitAttempt(deps, { keys, client, holder: user, turnstileToken: input.turnstile_token }, [
    state,
    identifierSlot,
    pairSlot,
  ])
  let ok = false
  try {
    ok = (await checkPassword(deps, user, input.password)) && user !== undefined
  } finally {
    attempt.settle(ok)
  }
  if (!ok || !user) {
    audit(deps, { type: 'login_failed', subjectId: user?.id, ...client, detail: { method: 'password' } })
    throw invalidCredentials()
  }
  assertCanSignIn(user)
  return startSession(deps, user, client, {
    type: 'login_succeeded',
    subjectId: user.id,
    actorId: user.id,
    ...client,
    detail: { method: 'password' },
  })
}

export interface BackgroundOtp {
  purpose: OtpPurpose
  to: Destination
  client: ClientInfo
  /** The endpoint's per-IP request limit, counted in the send batch (`reserveOtpForRequest`). */
  requestGroup: RequestGroup
  /** Whether the account holding `to` (if any) gets a code. */
  shouldSend: (user: UserRow | undefined) => boolean
  /** What the message carries besides the code (an email's one-time link). */
  extrasFor?: (user: UserRow | undefined) => Promise<DeliveryExtras>
}

/**
 * Sends a code in the background and answers at once, identically for every account: the body
 * and the timing do not tell whether the account exists (SPEC §8). The send limits are applied
 * to the destination either way, so they do not tell either.
 */
export async function requestOtpInBackground(deps: Deps, r: BackgroundOtp): Promise<void> {
  // The endpoint's per-IP limit, the send limits, the reservation and the account lookup: one round trip.
  const { reservation, holder: user } = await reserveOtpForRequest(deps, r.purpose, r.to, r.client, r.requestGroup)
  if (!r.shouldSend(user)) {
    // Nothing is sent; the reservation stays, so the cooldown does not tell, and a code nobody
    // gets is stored like a sent one, so guesses at it are counted the same (SPEC §5). A text's
    // budget charge goes back.
    deps.defer(async () => {
      await Promise.all([storeUnsentOtp(deps, reservation), reservation.budget ? refundSmsBudget(deps) : null])
    })
    return
  }
  deps.defer(async () => {
    try {
      const extras = (await r.extrasFor?.(user)) ?? {}
      // An address its account has not verified gets only the service's own words (SPEC §6.6).
      const name = r.to.channel === 'email' && user?.emailVerified ? user.name : undefined
      await deliverOtp(deps, reservation, { ...extras, userId: user?.id, name })
    } catch {
      // deliverOtp released the reservation and audited the failure; nobody is waiting for an answer.
    }
  })
}

/** `use_otp` login: a `login` code for an active account, or for a new phone with OTP_SIGNUP. */
export function requestLoginOtp(deps: Deps, input: IdentifierInput, client: ClientInfo): Promise<void> {
  const to = destinationOf(deps, input)
  return requestOtpInBackground(deps, {
    purpose: 'login',
    to,
    client,
    requestGroup: groupOf('POST /auth/login'),
    shouldSend: (user) => (user ? user.status === 'active' : deps.config.OTP_SIGNUP && to.channel === 'sms'),
  })
}
