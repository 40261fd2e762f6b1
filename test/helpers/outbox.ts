import { type MockInstance, vi } from 'vitest'

export interface SentMessage {
  channel: 'sms' | 'email'
  to: string
  text: string
}

/**
 * Reads what the console providers "sent" by watching the log, as a developer reads codes in
 * `wrangler dev`'s output.
 */
export function outbox() {
  const spy: MockInstance<typeof console.log> = vi.spyOn(console, 'log').mockImplementation(() => {})
  const messages = (): SentMessage[] =>
    spy.mock.calls.flatMap(([line]): SentMessage[] => {
      const s = String(line)
      const sms = /^\[sms\] to=(\S+) body=(.*)$/s.exec(s)
      if (sms) return [{ channel: 'sms' as const, to: sms[1] ?? '', text: sms[2] ?? '' }]
      const email = /^\[email\] to=(\S+) subject=.*?\n(.*)$/s.exec(s)
      if (email) return [{ channel: 'email' as const, to: email[1] ?? '', text: email[2] ?? '' }]
      return []
    })
  return {
    messages,
    to: (address: string) => messages().filter((m) => m.to === address),
    /** The digits of the last code sent to `address`. */
    lastCode(address: string): string {
      const last = messages()
        .filter((m) => m.to === address)
        .at(-1)
      const code = last && /\b(\d{4,10})\b/.exec(last.text)?.[1]
      if (!code) throw new Error(`no code was sent to ${address}`)
      return code
    },
    clear: () => spy.mockClear(),
    restore: () => spy.mockRestore(),
  }
}

export type Outbox = ReturnType<typeof outbox>
