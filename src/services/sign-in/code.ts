import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import type { OtpCodeEntry } from '../../storage/kv/otp-codes'
import { isUniqueViolation } from '../../storage/repos/users'
import { auditRow } from '../audit'
import { assertUnderRequestLimit, groupOf, limitIpRequestsAnd, requestCounter } from '../limits'
import type { Destination, OtpPurpose } from '../otp'
import { guessCode, refusal, verifyOtp } from '../otp'
import { assertCanSignIn, type ClientInfo, newSession, openedResponse, startSession, type TokenResponse } from '../sessions'
import { destinationOf, findByDestination, type IdentifierInput } from './password'

function verifiedFlag(to: Destination) {
  return to.channel === 'sms' ? { phoneVerified: true } : { emailVerified: true }
}

/** Passwordless sign-up (OTP_SIGNUP): the phone just proved is a new active account. */
async function createFromOtp(deps: Deps, to: Destination): Promise<UserRow> {
  const now = deps.now()
  try {
    return await deps.users.insert({
      id: newId(now),
      phone: to.address,
      role: deps.config.END_USER_ROLES[0] as string,
      status: 'active',
      phoneVerified: true,
      createdAt: now,
      updatedAt: now,
    })
  } catch (err) {
    // A concurrent sign-up of the same phone won: use its account.
    const existing = isUniqueViolation(err, 'phone') ? await findByDestination(deps, to) : undefined
    if (!existing) throw err
    return existing
  }
}

const invalidCode = () => new AppError('invalid_code', 'The code is invalid or has expired')

const signedInEvent = (userId: string, to: Destination, purpose: OtpPurpose, created: boolean, client: ClientInfo) =>
  ({
    type: 'login_succeeded',
    actorId: userId,
    subjectId: userId,
    ...client,
    detail: { method: 'otp', purpose, channel: to.channel, created },
  }) as const

/**
 * Completes a `register` challenge (a pending account becomes active) or a `login` challenge
 * (including OTP sign-up), and opens a session. The common case, a `login` code sent to an
 * account, is one D1 round trip (`signInWithCode`), after one KV read unless this isolate sent
 * the code; the others count the per-IP limit with the account lookup, then check and consume
 * the code, then open the session.
 */
export async function verifyCode(
  deps: Deps,
  input: IdentifierInput & { code: string },
  client: ClientInfo,
): Promise<TokenResponse> {
  const to = destinationOf(deps, input)
  const destination = `${to.channel}:${to.address}`
  // The entry this isolate wrote when it sent the code, if it did: no KV read then.
  const recalled = deps.otpCodes.recall('login', destination)
  const sent = recalled ?? (await deps.otpCodes.get('login', destination))
  if (sent?.uid) {
    const fast = await signInWithCode(deps, to, sent, sent.uid, input.code, client, recalled !== null)
    if ('holder' in fast) return completeVerify(deps, { to, user: fast.holder, code: input.code, client })
    deps.otpCodes.forget('login', destination)
    return fast.response
  }
  // The per-IP limit of the verify endpoints and the account lookup share one round trip.
  const holder = deps.users.holderStatement(to.channel === 'sms' ? 'phone' : 'email', to.address)
  const [user] = await limitIpRequestsAnd(deps, groupOf('POST /auth/verify'), client.ip, holder)
  return completeVerify(deps, { to, user, code: input.code, client })
}

const verifiedOn = (user: UserRow, to: Destination) => (to.channel === 'sms' ? user.phoneVerified : user.emailVerified)

/**
 * A `login` code sent to an account, in one D1 batch (codeSignIn): the per-IP limit, then the
 * guess, taken only while the account still holds the address; a right one opens the session if
 * the account is active and verified on the channel. Returns the holder when the batch could not
 * decide (the account changed, or is not yet verified on the channel), or when the entry was
 * `recalled` from the isolate and KV holds a newer code: the caller goes the long way.
 */
async function signInWithCode(
  deps: Deps,
  to: Destination,
  sent: OtpCodeEntry,
  userId: string,
  code: string,
  client: ClientInfo,
  recalled: boolean,
): Promise<{ response: TokenResponse } | { holder: UserRow | undefined }> {
  const guess = await guessCode(deps, sent, { purpose: 'login', to, code, ip: client.ip })
  const session = await newSession(deps, userId, client)
  const result = await deps.codeSignIn.run({
    limit: requestCounter(deps, groupOf('POST /auth/verify'), client.ip),
    channel: to.channel,
    address: to.address,
    userId,
    challenge: {
      id: guess.challengeId,
      destination: guess.destination,
      failKey: guess.failKey,
      maxFailuresPerDay: deps.config.OTP_MAX_FAILURES_PER_DAY,
    },
    right: guess.right,
    now: guess.now,
    session: session.row,
    audit: auditRow(deps, signedInEvent(userId, to, 'login', false, client)),
  })
  assertUnderRequestLimit(deps, result.limit, guess.now)
  if (result.opened) return { response: await openedResponse(deps, session, result.opened.user, result.opened.devices) }
  const { holder } = result
  // A pending account's code is a `register` one: the long way. A right code the batch could not
  // use (the address moved, or is unverified on the account) is decided there too, bound to its account.
  if (holder?.status === 'pending') return { holder }
  const decided = !guess.right || (holder?.id === userId && holder.status === 'active' && verifiedOn(holder, to))
  if (!decided) return { holder }
  // The account was as required: the challenge took a wrong guess, or refused the guess.
  if (result.taken) throw invalidCode()
  if (recalled) {
    // The remembered challenge is used, expired or out of attempts, whatever the guess: another
    // isolate may have sent a newer code since. (Over the limit, nothing got here: same timing.)
    deps.otpCodes.forget('login', guess.destination)
    const current = await deps.otpCodes.get('login', guess.destination)
    if (current && current.id !== sent.id) return { holder }
  }
  throw await refusal(deps, guess)
}

interface CodeFor {
  to: Destination
  /** The account holding the destination (the code's challenge must be bound to it). */
  user: UserRow | undefined
  code: string
  client: ClientInfo
}

/** Checks and consumes the code of the purpose the account's state calls for, then signs in. */
async function completeVerify(deps: Deps, { to, user, code, client }: CodeFor): Promise<TokenResponse> {
  const purpose = user?.status === 'pending' ? 'register' : 'login'
  await verifyOtp(deps, { purpose, to, code, ip: client.ip })
  let signedIn: UserRow
  if (!user) {
    if (!deps.config.OTP_SIGNUP || to.channel !== 'sms') throw invalidCode()
    signedIn = await createFromOtp(deps, to)
  } else if (purpose === 'register') {
    signedIn = (await deps.users.update(user.id, { status: 'active', ...verifiedFlag(to), updatedAt: deps.now() })) ?? user
  } else {
    assertCanSignIn(user)
    const verified = verifiedOn(user, to)
    signedIn = verified ? user : ((await deps.users.update(user.id, { ...verifiedFlag(to), updatedAt: deps.now() })) ?? user)
  }
  return startSession(deps, signedIn, client, signedInEvent(signedIn.id, to, purpose, !user, client))
}
