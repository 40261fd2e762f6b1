import type { Locale } from '../../config'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { allowedLocale } from '../../i18n/allowed'
import { log } from '../../log'
import type { UserRow } from '../../storage/db/schema'
import type { Held } from '../../storage/repos/registrations'
import { audit } from '../audit'
import { normalizeEmail, parsePhone } from '../identifiers'
import { groupOf, ipBucket } from '../limits'
import {
  accepted,
  type Channel,
  type CodeRequest,
  challengeFor,
  type Destination,
  deliverOtp,
  destinationKey,
  releaseOtp,
} from '../otp'
import { assertPasswordAllowed } from '../passwords'
import type { ClientInfo } from '../sessions'
import { passwordMatches } from '../sign-in'
import { emailIsTaken } from './email-claims'
import { sendEmailVerification } from './email-links'
import { bindingOf, emailTaken, holdersOf, isLivePending, type NewPending, phoneTaken, savePending } from './pending-account'

export interface RegisterInput {
  name?: string | undefined
  surname?: string | undefined
  phone?: string | undefined
  email?: string | undefined
  password: string
  role?: string | undefined
  /**
   * The account's language (SPEC §15), for its code and every later SMS and email: the JSON API
   * passes the body's `locale`, else Accept-Language's choice (`chooseLocale`); the hosted
   * sign-up page its own locale. One of LOCALES, else 400 `validation_error`; left out, DEFAULT_LOCALE.
   */
  locale?: Locale | undefined
}

export interface RegisterResult {
  message: string
  detail: string
  channel: Channel
  expires_in: number
}

/**
 * Creates a pending account (or replaces a pending one whose codes have all expired) and sends
 * a `register` code to the phone, else the email (SPEC §6.1). The account becomes active at
 * `/verify`. One D1 round trip comes before any hashing: the per-IP request limit, the send
 * limits, the reservation and the holders of the phone and email; a refused registration costs
 * no hash (except a wrong password for a pending account whose code lives: it is checked, 409).
 */
export async function register(deps: Deps, input: RegisterInput, client: ClientInfo): Promise<RegisterResult> {
  const { config } = deps
  const phone = input.phone !== undefined ? parsePhone(input.phone, config) : null
  const email = input.email !== undefined ? normalizeEmail(input.email) : null
  const locale = allowedLocale(config, input.locale ?? config.DEFAULT_LOCALE)
  const role = input.role ?? (config.END_USER_ROLES[0] as string)
  if (!config.END_USER_ROLES.includes(role)) {
    throw new AppError('validation_error', 'Request validation failed', {
      fields: { role: `Must be one of: ${config.END_USER_ROLES.join(', ')}` },
    })
  }
  assertPasswordAllowed({ password: input.password }, config, { phone, email })

  const channel: Channel = phone ? 'sms' : 'email'
  const to: Destination = { channel, address: (phone ?? email) as string }
  const taken = () => (phone ? phoneTaken() : emailTaken())
  // The request limit, the send limits, the reservation and the holders of the phone and email:
  // one round trip. The older code stays open until this registration is accepted: a refused one must not kill it.
  const request: CodeRequest = { purpose: 'register', to, client, requestGroup: groupOf('POST /auth/register') }
  const challenge = challengeFor(deps, request)
  const { reserved, holders } = await deps.registrations.begin({ phone, email, reserve: challenge })
  const { primary, emailHolder } = holdersOf(holders, phone, email)
  const reservation = await accepted(deps, {
    request,
    challenge,
    reserved,
    // Refused by a send limit: an identifier a verified account holds still answers its 409 (no hash either way).
    whenRefused: () => {
      if (primary && primary.user.status !== 'pending') throw taken()
      if (emailHolder && emailIsTaken(emailHolder.user)) throw emailTaken()
    },
  })
  const refuse = async (err: AppError) => {
    await releaseOtp(deps, reservation)
    return err
  }
  if (primary && primary.user.status !== 'pending') throw await refuse(taken())
  // A pending account whose code lives is not taken over (SPEC §5/§6.1), nor a proved email.
  if (emailHolder && (emailIsTaken(emailHolder.user) || isLivePending(emailHolder))) throw await refuse(emailTaken())

  let user: UserRow
  try {
    user = await keepOrSave(deps, { input, phone, email, role, locale, reservation, primary, emailHolder, to, client })
  } catch (err) {
    await releaseOtp(deps, reservation) // nothing is sent: the refused request charges no cooldown
    throw err
  }

  // Mail to an address nobody has verified carries only the service's own words (SPEC §6.6): no name.
  // In this request's language (a live pending account kept unchanged keeps its stored one for later mail).
  await deliverOtp(deps, reservation, { userId: user.id, locale })
  audit(deps, { type: 'user_registered', actorId: user.id, subjectId: user.id, ...client, detail: { channel, role } })
  alsoVerifyEmail(deps, user, client)
  return {
    message: 'Registration successful',
    detail: `A verification code has been sent to ${reservation.to.address}`,
    channel,
    expires_in: config.OTP_EXPIRE_MINUTES * 60,
  }
}

/**
 * EMAIL_VERIFICATION=required (SPEC §13): a registration by phone that also gives an email sends
 * that email a verification code and link too (as `/auth/email/verify-request` does), after the
 * answer: the phone's code is the registration's, and a mail that fails (or meets the email's
 * send limits) does not fail it; the user asks again once signed in. Read from `deps`: a user
 * pool may override the setting.
 */
function alsoVerifyEmail(deps: Deps, user: UserRow, client: ClientInfo): void {
  const { email } = user
  if (deps.config.EMAIL_VERIFICATION !== 'required' || !user.phone || !email || user.emailVerified) return
  deps.defer(() =>
    sendEmailVerification(deps, user, { email, client }).catch((err: unknown) => {
      // Held back by a send limit (the email's cooldown or caps, the client's hourly sends).
      if (!(err instanceof AppError) || err.status !== 429) throw err
      log.warn('registration email verification not sent', { reason: err.code, user_id: user.id })
    }),
  )
}

interface Accepted extends Omit<NewPending, 'claimEmail'> {
  primary: Held | undefined
  emailHolder: Held | undefined
  to: Destination
  client: ClientInfo
}

/** The account a registration that passed the limits sends its code for: the live pending one it names, or a new one. */
async function keepOrSave(deps: Deps, r: Accepted): Promise<UserRow> {
  const { primary, phone, to } = r
  // OTP_SIGNUP: a sign-up code sent to this phone can still be used. Registering over it would
  // text the owner a register code that activates an account whose password this request chose
  // (review of issue 14): it changes nothing, like a live pending account. (Only here: one more D1 read.)
  if (
    !primary &&
    phone &&
    deps.config.OTP_SIGNUP &&
    (await deps.otpChallenges.liveUnbound(destinationKey(to), 'login', deps.now()))
  ) {
    throw phoneTaken()
  }
  if (primary && isLivePending(primary)) {
    // SPEC §6.1: a registration over a pending account whose code lives changes nothing of it;
    // its own password gets a new code (limits applied above), another one 409. The password
    // check is counted like a login, per destination and client IP bucket: /register is no
    // uncounted password oracle, and nobody elsewhere can lock the registrant out of asking again.
    const identifier = `register:${destinationKey(to)}|${ipBucket(r.client.ip)}`
    const same = await passwordMatches(deps, { identifier, user: primary.user, password: r.input.password, client: r.client })
    if (!same) throw phone ? phoneTaken() : emailTaken()
    await deps.registrations.keep(bindingOf(deps, r.reservation))
    return primary.user
  }
  return savePending(deps, { ...r, claimEmail: r.emailHolder ? r.email : null })
}
