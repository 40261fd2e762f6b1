import type { Locale } from '../../config'
import type { Deps } from '../../deps'
import { codeSms } from '../../templates/sms'
import type { OtpPurpose } from './destination'

/** What a code's text message says: the code, its purpose and the recipient's language. */
export interface CodeText {
  purpose: OtpPurpose
  code: string
  locale: Locale
}

/** The text message carrying a code, in `locale`, with this deployment's APP_NAME and code lifetime. */
export function codeText(deps: Deps, t: CodeText): string {
  return codeSms({ ...t, app: deps.config.APP_NAME, minutes: deps.config.OTP_EXPIRE_MINUTES })
}
