import { connect } from 'cloudflare:sockets'
import type { Config } from '../../config'
import { consoleEmailSender } from './console'
import { resendEmailSender } from './resend'
import type { EmailSender } from './sender'
import { sendgridEmailSender } from './sendgrid'
import { smtpEmailSender } from './smtp'

export type { EmailMessage, EmailSender } from './sender'

/**
 * The configured email provider. `fetch` is looked up per call so tests can stub it; SMTP opens
 * its connection with `connect` of `cloudflare:sockets`.
 */
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
    case 'smtp':
      return smtpEmailSender(
        {
          host: config.SMTP_HOST ?? '',
          port: config.SMTP_PORT,
          security: config.SMTP_SECURE,
          auth:
            config.SMTP_USERNAME && config.SMTP_PASSWORD
              ? { mechanism: config.SMTP_AUTH, username: config.SMTP_USERNAME, password: config.SMTP_PASSWORD }
              : undefined,
          from: config.EMAIL_FROM,
          clientName: new URL(config.PUBLIC_URL).hostname,
        },
        connect,
      )
    case 'console':
      return consoleEmailSender({ redact: config.ENVIRONMENT === 'production' })
  }
}
