import { newId } from '../crypto/random'
import type { Deps } from '../deps'
import { AppError } from '../errors'
import type { UserRow } from '../storage/db/schema'
import { isUniqueViolation } from '../storage/repos/users'
import { destinationOf, findByDestination, type IdentifierInput } from './login'
import { type Destination, verifyOtp } from './otp'
import { limitIpRequestsAnd } from './request-limits'
import { assertCanSignIn, type ClientInfo, startSession, type TokenResponse } from './sessions'

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

/**
 * Completes a `register` challenge (a pending account becomes active) or a `login` challenge
 * (including OTP sign-up), and opens a session.
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
  await verifyOtp(deps, purpose, to, input.code)

  let signedIn: UserRow
  if (!user) {
    if (!deps.config.OTP_SIGNUP || to.channel !== 'sms') throw new AppError('invalid_code', 'The code is invalid or has expired')
    signedIn = await createFromOtp(deps, to)
  } else if (purpose === 'register') {
    signedIn = (await deps.users.update(user.id, { status: 'active', ...verifiedFlag(to), updatedAt: deps.now() })) ?? user
  } else {
    assertCanSignIn(user)
    signedIn = user
    if (to.channel === 'sms' ? !user.phoneVerified : !user.emailVerified) {
      signedIn = (await deps.users.update(user.id, { ...verifiedFlag(to), updatedAt: deps.now() })) ?? user
    }
  }
  return startSession(deps, signedIn, client, {
    type: 'login_succeeded',
    actorId: signedIn.id,
    subjectId: signedIn.id,
    ...client,
    detail: { method: 'otp', purpose, channel: to.channel, created: !user },
  })
}
