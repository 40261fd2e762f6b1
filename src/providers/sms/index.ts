import type { Config } from '../../config'
import { consoleSmsSender } from './console'
import type { SmsSender } from './sender'
import { twilioSmsSender } from './twilio'

export type { SmsSender } from './sender'

/** The configured SMS provider. `fetch` is looked up per call so tests can stub it. */
export function smsSenderFor(config: Config): SmsSender {
  switch (config.SMS_PROVIDER) {
    case 'twilio':
      return twilioSmsSender(
        {
          apiBase: config.TWILIO_API_BASE,
          accountSid: config.TWILIO_ACCOUNT_SID ?? '',
          authToken: config.TWILIO_AUTH_TOKEN ?? '',
          from: config.TWILIO_PHONE_NUMBER,
          messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
        },
        (input, init) => fetch(input, init),
      )
    case 'console':
      return consoleSmsSender()
  }
}
