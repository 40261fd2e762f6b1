import { type ConsoleOptions, consoleWriter } from '../redact'
import type { EmailSender } from './sender'

/**
 * Development provider: writes `[email] to=… subject=…` and the text part to the log (SPEC §8).
 * With `redact` (ENVIRONMENT=production) codes and link tokens are masked.
 */
export function consoleEmailSender(opts: ConsoleOptions = {}): EmailSender {
  const write = consoleWriter(opts)
  return { name: 'console', send: async ({ to, subject, text }) => write(`[email] to=${to} subject=${subject}\n`, text) }
}
