import type { Config } from '../../config'
import { consoleEmailSender } from './console'
import type { EmailSender } from './sender'

export type { EmailMessage, EmailSender } from './sender'

export function emailSenderFor(config: Config): EmailSender {
  switch (config.EMAIL_PROVIDER) {
    case 'console':
      return consoleEmailSender()
  }
}
