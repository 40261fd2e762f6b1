import type { Locale } from '../../config'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { allowedLocale } from '../../i18n/allowed'
import type { UserRow } from '../../storage/db/schema'
import { audit } from '../audit'
import { normalizeUsername } from '../identifiers'
import { groupOf, requestCounter } from '../limits'
import { type Destination, destinationKey, destinationOf, type IdentifierInput, requestOtpInBackground } from '../otp'
import { checkPassword, type PasswordCheck, upgradedHash } from '../passwords'
import { assertCanSignIn, type ClientInfo, FIRST_FACTOR_AMR, startSession, type TokenResponse } from '../sessions'
import { beginAttempt } from './lockout'
import { requireSecondFactor } from './mfa'
import { hasMfa } from './second-factor'

/** The lockout's identifier of a login body, and how to find its account (none for an unparsable phone); passkey options find the account the same way. */
export function passwordIdentifier(deps: Deps, input: IdentifierInput & { username?: string | undefined }) {
  if (input.username !== undefined) {
    const username = normalizeUsername(input.username)
    return { identifier: `username:${username}`, lookup: { column: 'username' as const, value: username } }
  }
  let to: Destination | undefined
  try {
    to = destinationOf(deps, input)
  } catch {
    to = undefined // an unparsable phone is just an unknown account
  }
  if (!to) return { identifier: `raw:${(input.phone ?? input.email ?? '').slice(0, 64)}`, lookup: undefined }
  const column = to.channel === 'sms' ? ('phone' as const) : ('email' as const)
  return { identifier: destinationKey(to), lookup: { column, value: to.address } }
}

const invalidCredentials = () => new AppError('invalid_credentials', 'Phone, email, username or password is incorrect')

/**
 * EMAIL_VERIFICATION=required (SPEC §13): an email its holder has not verified does not sign in.
 * Read from the row the attempt already read (no round trip), and only after the right password,
 * so it tells nothing to whoever does not hold it. Read from `deps`: a user pool may override it.
 */
function assertEmailMaySignIn(deps: Deps, user: UserRow, by: 'phone' | 'email' | 'username'): void {
  if (by === 'email' && deps.config.EMAIL_VERIFICATION === 'required' && !user.emailVerified) {
    throw new AppError('email_not_verified', 'Verify this email before signing in with it, or sign in with your phone')
  }
}

/**
 * Password login. Unknown identifier and wrong password give the same 401 after the same work;
 * only a right password reveals that an account is pending (403) or disabled (403). Counts the
 * `login` group's per-IP request limit (for `/login` and `/token` alike), and the lockout of
 * `lockout.ts` (a valid `turnstile_token` passes a locked identifier, never the per-IP limit).
 * An account with MFA on gets 403 `mfa_required` with an mfa token instead of a session.
 */
export async function loginWithPassword(
  deps: Deps,
  input: IdentifierInput & { username?: string | undefined; password: string; turnstile_token?: string | undefined },
  client: ClientInfo,
): Promise<TokenResponse> {
  const { identifier, lookup } = passwordIdentifier(deps, input)
  // One round trip before any hashing: the per-IP request counter, the lockout rows (a slot of
  // each taken for this attempt unless locked or full), and the account. A client over its limit,
  // or a locked identifier, costs no scrypt.
  const { attempt, user } = await beginAttempt(deps, {
    identifier,
    client,
    limit: requestCounter(deps, groupOf('POST /auth/login'), client.ip),
    lookup,
    turnstileToken: input.turnstile_token,
  })
  let check: PasswordCheck = { ok: false }
  try {
    check = await checkPassword(deps, user, input.password)
  } finally {
    attempt.settle(check.ok && user !== undefined)
  }
  if (!check.ok || !user) {
    audit(deps, { type: 'login_failed', subjectId: user?.id, ...client, detail: { method: 'password' } })
    throw invalidCredentials()
  }
  assertCanSignIn(user)
  assertEmailMaySignIn(deps, user, lookup?.column ?? 'username')
  // MFA on (SPEC §14): no session yet, an mfa token instead, in the round trip that would have opened it.
  if (hasMfa(user)) await requireSecondFactor(deps, user, FIRST_FACTOR_AMR.password)
  // (An MFA user's outdated hash is kept until a sign-in without the second step: it opens no session here.)
  // A hash of another service's format, or of weaker scrypt, is replaced by the batch that opens
  // the session (SPEC §13): one scrypt more on this login, no round trip more.
  const { outdated } = check
  const rehash = outdated ? await upgradedHash(deps, { outdated, password: input.password }) : undefined
  return startSession(deps, user, {
    client,
    amr: [...FIRST_FACTOR_AMR.password],
    event: { type: 'login_succeeded', subjectId: user.id, actorId: user.id, ...client, detail: { method: 'password' } },
    rehash,
  })
}

/**
 * `use_otp` login: a `login` code for an active account (to its verified email, or its phone), or
 * for a new phone with OTP_SIGNUP. The text is in the account's language; for a new phone in
 * `locale`, the request's (one of LOCALES, else 400; left out, DEFAULT_LOCALE).
 */
export function requestLoginOtp(
  deps: Deps,
  input: IdentifierInput & { locale?: Locale | undefined },
  client: ClientInfo,
): Promise<void> {
  const locale = allowedLocale(deps.config, input.locale ?? deps.config.DEFAULT_LOCALE)
  const to = destinationOf(deps, input)
  return requestOtpInBackground(deps, {
    locale,
    purpose: 'login',
    to,
    client,
    requestGroup: groupOf('POST /auth/login'),
    shouldSend: (user) => {
      if (!user) return deps.config.OTP_SIGNUP && to.channel === 'sms'
      // An email nobody proved may be someone else's inbox: its code would sign them into this
      // account (review of issue 14). A phone is always proved, except one an admin vouched for.
      return user.status === 'active' && (to.channel === 'sms' || user.emailVerified)
    },
  })
}
