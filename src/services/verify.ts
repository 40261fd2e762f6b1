import { newId } from '../crypto/random'
import type { Deps } from '../deps'
import { AppError } from '../errors'
import type { UserRow } from '../storage/db/schema'
import { isUniqueViolation } from '../storage/repos/users'
import { destinationOf, findByDestination, type IdentifierInput } from './login'
import { checkOtp, consumeOtp, type Destination, type OtpPurpose, refusal } from './otp'
import { limitIpRequestsAnd } from './request-limits'
import { assertCanSignIn, type ClientInfo, startSession, startSessionWithCode, type TokenResponse } from './sessions'

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

const signedInEvent = (user: UserRow, to: Destination, purpose: OtpPurpose, created: boolean, client: ClientInfo) =>
  ({
    type: 'login_succeeded',
    actorId: user.id,
    subjectId: user.id,
    ...client,
    detail: { method: 'otp', purpose, channel: to.channel, created },
  }) as const

/**
 * Completes a `register` challenge (a pending account becomes active) or a `login` challenge
 * (including OTP sign-up), and opens a session. The common case, a `login` code of an active
 * account already verified on that channel, consumes the code in the batch that opens the
 * session: two D1 round trips in all (the limit with the lookup, then that batch).
 */
export async function verifyCode(
  deps: Deps,
  input: IdentifierInput & { code: string },
  client: ClientInfo,
): Promise<TokenResponse> {
  const to = destinationOf(deps, input)
  // The per-IP limit of the verify endpoints and the account lookup share one round trip.
  const holder = deps.users.holderQuery(to.channel === 'sms' ? 'phone' : 'email', to.address)
  const [user] = await limitIpRequestsAnd(deps, 'verify', client.ip, holder)
  const purpose = user?.status === 'pending' ? 'register' : 'login'
  const right = await checkOtp(deps, purpose, to, input.code)

  const verified = user && (to.channel === 'sms' ? user.phoneVerified : user.emailVerified)
  if (user?.status === 'active' && verified) {
    const started = await startSessionWithCode(deps, user, client, signedInEvent(user, to, purpose, false, client), right)
    if (started.ok) return started.response
    if (!started.consumed) throw await refusal(deps, right)
    // The code is used, but the account changed in between (disabled or deleted): say why.
    const now = await deps.users.byId(user.id)
    if (now) assertCanSignIn(now)
    throw invalidCode()
  }

  await consumeOtp(deps, right)
  let signedIn: UserRow
  if (!user) {
    if (!deps.config.OTP_SIGNUP || to.channel !== 'sms') throw invalidCode()
    signedIn = await createFromOtp(deps, to)
  } else if (purpose === 'register') {
    signedIn = (await deps.users.update(user.id, { status: 'active', ...verifiedFlag(to), updatedAt: deps.now() })) ?? user
  } else {
    assertCanSignIn(user)
    signedIn = verified ? user : ((await deps.users.update(user.id, { ...verifiedFlag(to), updatedAt: deps.now() })) ?? user)
  }
  return startSession(deps, signedIn, client, signedInEvent(signedIn, to, purpose, !user, client))
}
