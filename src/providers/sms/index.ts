import type { Config } from '../../config'
import { consoleSmsSender } from './console'
import { fast2smsSmsSender } from './fast2sms'
import { infobipSmsSender } from './infobip'
import type { SmsSender } from './sender'
import { twilioSmsSender } from './twilio'
import { vonageSmsSender } from './vonage'

export type { SmsSender } from './sender'

/** An SMS provider (the configured one by default). `fetch` is looked up per call so tests can stub it. */
export function smsSenderFor(config: Config, provider: Config['SMS_PROVIDER'] = config.SMS_PROVIDER): SmsSender {
  const fetchFn: typeof fetch = (input, init) => fetch(input, init)
  switch (provider) {
    case 'twilio':
      return twilioSmsSender(
        {
          apiBase: config.TWILIO_API_BASE,
          accountSid: config.TWILIO_ACCOUNT_SID ?? '',
          authToken: config.TWILIO_AUTH_TOKEN ?? '',
          from: config.TWILIO_PHONE_NUMBER,
          messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
        },
        fetchFn,
      )
    case 'infobip':
      return infobipSmsSender(
        {
          baseUrl: config.INFOBIP_BASE_URL ?? '',
          apiKey: config.INFOBIP_API_KEY ?? '',
          sender: config.INFOBIP_SENDER ?? '',
        },
        fetchFn,
      )
    case 'vonage':
      return vonageSmsSender(
        {
          apiBase: config.VONAGE_API_BASE,
          apiKey: config.VONAGE_API_KEY ?? '',
          apiSecret: config.VONAGE_API_SECRET ?? '',
          from: config.VONAGE_FROM ?? '',
        },
        fetchFn,
      )
    case 'fast2sms':
      return fast2smsSmsSender(
        {
          apiBase: config.FAST2SMS_API_BASE,
          apiKey: config.FAST2SMS_API_KEY ?? '',
          route: config.FAST2SMS_ROUTE,
          senderId: config.FAST2SMS_SENDER_ID,
        },
        fetchFn,
      )
    case 'console':
      return consoleSmsSender({ redact: config.ENVIRONMENT === 'production' })
  }
}
