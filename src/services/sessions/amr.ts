// RFC 8176 authentication method references, as access tokens carry them (`amr`, SPEC §14).
// SMS has its own value (`sms`); an emailed code has none in RFC 8176's registry, so it is `otp` alone.

/** The `amr` of each first factor. */
export const FIRST_FACTOR_AMR = {
  password: ['pwd'],
  sms: ['otp', 'sms'],
  email: ['otp'],
} as const satisfies Record<string, readonly string[]>

/** The `amr` of each second factor: a TOTP code or a recovery code is a one-time password. */
export const SECOND_FACTOR_AMR = {
  totp: ['otp'],
  recovery_code: ['otp'],
} as const satisfies Record<string, readonly string[]>

/** The `amr` of a sign-in that passed two factors: both factors' values, and `mfa`. */
export function twoFactorAmr(first: readonly string[], second: readonly string[]): string[] {
  return [...new Set([...first, ...second, 'mfa'])]
}
