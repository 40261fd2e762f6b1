import { afterAll, afterEach, beforeAll, beforeEach, type MockInstance, vi } from 'vitest'

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

/** What the app logged to console.error while it was silenced. */
export interface ErrorLog {
  /** Each call's first argument, as text. */
  lines(): string[]
  /** Every call, its arguments joined by spaces, one call a line. */
  text(): string
}

type Per = 'each' | 'all'

/** Runs `start` before each test (or once, `per: 'all'`) and `stop` after it. */
function around(per: Per | undefined, start: () => void, stop: () => void): void {
  if (per === 'all') {
    beforeAll(start)
    afterAll(stop)
  } else {
    beforeEach(start)
    afterEach(stop)
  }
}

/**
 * Silences console.error for each test of the calling file or `describe` block (or for all of
 * them, `per: 'all'`) and returns what the running test logged there.
 */
export function useQuietErrors(per?: Per): ErrorLog {
  let spy: MockInstance<typeof console.error> | undefined
  around(
    per,
    () => {
      spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    },
    () => {
      spy?.mockRestore()
      spy = undefined
    },
  )
  const calls = (): unknown[][] => {
    if (!spy) throw new Error('useQuietErrors: read outside the tests it silences')
    return spy.mock.calls
  }
  return {
    lines: () => calls().map((args) => String(args[0])),
    text: () =>
      calls()
        .map((args) => args.map(String).join(' '))
        .join('\n'),
  }
}

/** The outbox `useOutbox` returns: it reads the running test's capture. */
export interface LiveOutbox extends Outbox {
  /** What the app logged to console.error during the test, one entry a call (only with `quietErrors`). */
  errorLines(): string[]
}

export interface UseOutboxOptions {
  /** Also silence console.error (the app logs failed sends there) and let the test read it. */
  quietErrors?: boolean
  /** `each` (default): a fresh capture per test; `all`: one capture for the file, open in `beforeAll` too. */
  per?: Per
}

/**
 * The test file's outbox: registers the hooks that start capturing before each test (or once, with
 * `per: 'all'`) and restore the console after, and returns an outbox that reads the capture of
 * the running test. Call it once at the top of a test file or `describe` block.
 */
export function useOutbox(opts: UseOutboxOptions = {}): LiveOutbox {
  let box: Outbox | undefined
  around(
    opts.per,
    () => {
      box = outbox()
    },
    () => {
      box?.restore()
      box = undefined
    },
  )
  const errors = opts.quietErrors ? useQuietErrors(opts.per) : undefined
  const live = (): Outbox => {
    if (!box) throw new Error('useOutbox: read outside the tests it captures for')
    return box
  }
  return {
    messages: () => live().messages(),
    to: (address) => live().to(address),
    lastCode: (address) => live().lastCode(address),
    clear: () => live().clear(),
    restore: () => live().restore(),
    errorLines() {
      if (!errors) throw new Error('useOutbox: pass { quietErrors: true } to read console.error')
      return errors.lines()
    },
  }
}

/** Runs `fn` (e.g. a `beforeAll` that signs people up) with an outbox of its own, restored after. */
export async function withOutbox<T>(fn: (box: Outbox) => Promise<T>): Promise<T> {
  const box = outbox()
  try {
    return await fn(box)
  } finally {
    box.restore()
  }
}
