import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile'
import type { Config } from '../../config'
import { COMMON_PASSWORDS } from '../../crypto/common-passwords'
import { AppError } from '../../errors'

export const PASSWORD_MAX_LENGTH = 128

let common: Set<string> | undefined
function isCommon(password: string): boolean {
  // Built on first use, not at module scope: most requests never check a new password.
  common ??= new Set(COMMON_PASSWORDS.split('\n'))
  return common.has(password.toLowerCase())
}

export interface PasswordContext {
  phone?: string | null
  email?: string | null
  username?: string | null
}

/** True when `password` is `phone` written any way people write it: `98 765 432`, `0021698765432`, `+216 98…`. */
function isPhoneNumber(password: string, phone: string | null | undefined): boolean {
  if (!phone || !/^[\d\s.+()-]+$/.test(password)) return false
  const digits = password.replace(/\D/g, '')
  const parsed = parsePhoneNumberFromString(phone)
  const international = phone.replace(/\D/g, '')
  const forms = [international, `00${international}`, parsed?.nationalNumber, parsed?.formatNational().replace(/\D/g, '')]
  return forms.some((form) => form === digits)
}

/** Why `password` is refused under the configured policy (SPEC §4), or null when it is fine. */
export function passwordProblem(password: string, config: Config, ctx: PasswordContext = {}): string | null {
  const length = [...password.normalize('NFKC')].length
  if (length < config.PASSWORD_MIN_LENGTH) return `Must be at least ${config.PASSWORD_MIN_LENGTH} characters`
  if (length > PASSWORD_MAX_LENGTH) return `Must be at most ${PASSWORD_MAX_LENGTH} characters`
  if (config.PASSWORD_REQUIRE_CLASSES && !(/\p{Lu}/u.test(password) && /\p{Ll}/u.test(password) && /\p{Nd}/u.test(password))) {
    return 'Must contain an upper-case letter, a lower-case letter and a digit'
  }
  const lowered = password.toLowerCase()
  const identifiers = [ctx.phone, ctx.phone?.replace(/^\+/, ''), ctx.email, ctx.username]
  if (identifiers.some((id) => id && id.toLowerCase() === lowered) || isPhoneNumber(password, ctx.phone)) {
    return 'Must not be your phone, email or username'
  }
  if (isCommon(password)) return 'This password is too common'
  return null
}

/** A password to check, and the request field a refusal names (`password` unless given). */
export interface PasswordCandidate {
  password: string
  field?: string
}

/** Throws a 400 `validation_error` on `field` when the password breaks the policy. */
export function assertPasswordAllowed(
  { password, field = 'password' }: PasswordCandidate,
  config: Config,
  ctx: PasswordContext = {},
): void {
  const problem = passwordProblem(password, config, ctx)
  if (problem) throw new AppError('validation_error', 'Request validation failed', { fields: { [field]: problem } })
}
