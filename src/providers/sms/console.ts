import { type ConsoleOptions, consoleWriter } from '../redact'
import type { SmsSender } from './sender'

/**
 * Development provider: writes `[sms] to=<E.164> body=<text>` to the log (SPEC §8). With
 * `redact` (ENVIRONMENT=production) the code is masked: it never reaches a production log.
 */
export function consoleSmsSender(opts: ConsoleOptions = {}): SmsSender {
  const write = consoleWriter(opts)
  return { name: 'console', send: async (to, text) => write(`[sms] to=${to} body=`, text) }
}
