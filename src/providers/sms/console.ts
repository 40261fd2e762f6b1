import type { SmsSender } from './sender'

/** Development provider: writes `[sms] to=<E.164> body=<text>` to the log (SPEC §8). */
export function consoleSmsSender(log: (line: string) => void = (line) => console.log(line)): SmsSender {
  return {
    name: 'console',
    async send(to, text) {
      log(`[sms] to=${to} body=${text}`)
    },
  }
}
