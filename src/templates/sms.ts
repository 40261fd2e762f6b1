import type { Locale } from '../config'
import { fill, type Messages, messagesFor } from '../i18n/messages'

/**
 * Every text message the service sends, in the recipient's locale; the words are the catalogues'
 * (src/i18n/messages). Each stays within one SMS segment with a typical APP_NAME (160 GSM-7
 * characters; 70 in UCS-2, which an Arabic text needs): test/unit/sms-segments.test.ts.
 */

export type SmsCodePurpose = keyof Messages['sms']['code']

export interface CodeSms {
  app: string
  locale: Locale
  purpose: SmsCodePurpose
  code: string
  /** How long the code lives. */
  minutes: number
}

/** The text carrying a code (SPEC §5: "Your <APP_NAME> verification code is 123456. Valid for 10 minutes."). */
export function codeSms(m: CodeSms): string {
  const t = messagesFor(m.locale)
  return fill(t.sms.code[m.purpose], { app: m.app, code: m.code, minutes: t.minutes(m.minutes) })
}

/** To the verified phone of an account without a verified email, after an administrator's MFA reset (SPEC §14). */
export function mfaResetSms(m: { app: string; locale: Locale }): string {
  return fill(messagesFor(m.locale).sms.mfa_reset, { app: m.app })
}

/** To the verified phone a new one replaced (SPEC §6.2). */
export function phoneChangedSms(m: { app: string; locale: Locale }): string {
  return fill(messagesFor(m.locale).sms.phone_changed, { app: m.app })
}
