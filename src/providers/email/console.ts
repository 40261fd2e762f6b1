import type { EmailSender } from './sender'

/** Development provider: writes `[email] to=… subject=…` and the text part to the log (SPEC §8). */
export function consoleEmailSender(log: (line: string) => void = (line) => console.log(line)): EmailSender {
  return {
    name: 'console',
    async send({ to, subject, text }) {
      log(`[email] to=${to} subject=${subject}\n${text}`)
    },
  }
}
