import type { Deps } from '../../deps'
import type { OtpPurpose } from './destination'

const WORDING: Record<OtpPurpose, string> = {
  register: 'verification code',
  login: 'login code',
  reset: 'password reset code',
  email_change: 'email confirmation code',
  phone_change: 'phone confirmation code',
}

/** The text message carrying a code. */
export function codeText(deps: Deps, purpose: OtpPurpose, code: string): string {
  const minutes = deps.config.OTP_EXPIRE_MINUTES
  return `Your ${deps.config.APP_NAME} ${WORDING[purpose]} is ${code}. Valid for ${minutes} minutes.`
}
