import { redactSecrets } from '../redact'
import type { SmsSender } from './sender'

/**
 * Development provider: writes `[sms] to=<E.164> body=<text>` to the log (SPEC §8). With
 * `redact` (ENVIRONMENT=production) the code is masked: it never reaches a production log.
 */
export function consoleSmsSender(
  opts: { redact?: boolean } = {},
  log: (line: string) => void = (line) => console.log(line),
): SmsSender {
  return {
    name: 'console',
    async send(to, text) {
      log(`[sms] to=${to} body=${opts.redact ? redactSecrets(text) : text}`)
    },
  }
}
