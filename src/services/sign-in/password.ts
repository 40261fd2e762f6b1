import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { type BatchStatement, runBatch } from '../../storage/db/prepared'
import type { UserRow } from '../../storage/db/schema'
import { audit } from '../audit'
import { normalizeUsername } from '../identifiers'
import { assertUnderRequestLimit, requestCounter } from '../limits'
import { type Destination, destinationKey, destinationOf, type IdentifierInput, requestOtpInBackground } from '../otp'
import { checkPassword } from '../passwords'
import { assertCanSignIn, type ClientInfo, startSession, type TokenResponse } from '../sessions'
import { admissionStatements, admitAttempt, lockoutKeys } from './lockout'

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
    identifier = to ? destinationKey(to) : `raw:${(input.phone ?? input.email ?? '').slice(0, 64)}`
    holder = to && deps.users.holderStatement(to.channel === 'sms' ? 'phone' : 'email', to.address)
  }
  // One round trip before any hashing: the per-IP request counter, the lockout rows (a slot of
  // each taken for this attempt unless locked or full), and the account. A client over its limit,
  // or a locked identifier, costs no scrypt.
  const now = deps.now()
  const counter = requestCounter(deps, 'login', client.ip)
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

/** `use_otp` login: a `login` code for an active account, or for a new phone with OTP_SIGNUP. */
export function requestLoginOtp(deps: Deps, input: IdentifierInput, client: ClientInfo): Promise<void> {
  const to = destinationOf(deps, input)
  return requestOtpInBackground(deps, {
    purpose: 'login',
    to,
    client,
    requestGroup: 'login',
    shouldSend: (user) => (user ? user.status === 'active' : deps.config.OTP_SIGNUP && to.channel === 'sms'),
  })
}
