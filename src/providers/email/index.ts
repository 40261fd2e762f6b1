import type { Config } from '../../config'
import { consoleEmailSender } from './console'
import { resendEmailSender } from './resend'
import type { EmailSender } from './sender'
import { sendgridEmailSender } from './sendgrid'

export type { EmailMessage, EmailSender } from './sender'

/** The configured email provider. `fetch` is looked up per call so tests can stub it. */
export function emailSenderFor(config: Config): EmailSender {
  const fetchFn: typeof fetch = (input, init) => fetch(input, init)
  switch (config.EMAIL_PROVIDER) {
    case 'resend':
      return resendEmailSender(
        { apiBase: config.RESEND_API_BASE, apiKey: config.RESEND_API_KEY ?? '', from: config.EMAIL_FROM },
        fetchFn,
      )
    case 'sendgrid':
      return sendgridEmailSender(
        { apiBase: config.SENDGRID_API_BASE, apiKey: config.SENDGRID_API_KEY ?? '', from: config.EMAIL_FROM },
        fetchFn,
      )
    case 'console':
      return consoleEmailSender({ redact: config.ENVIRONMENT === 'production' })
  }
}
