import { redactSecrets } from '../redact'
import type { EmailSender } from './sender'

/**
 * Development provider: writes `[email] to=… subject=…` and the text part to the log (SPEC §8).
 * With `redact` (ENVIRONMENT=production) codes and link tokens are masked.
 */
export function consoleEmailSender(
  opts: { redact?: boolean } = {},
  log: (line: string) => void = (line) => console.log(line),
): EmailSender {
  return {
    name: 'console',
    async send({ to, subject, text }) {
      log(`[email] to=${to} subject=${subject}\n${opts.redact ? redactSecrets(text) : text}`)
    },
  }
}
