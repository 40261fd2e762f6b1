import { afterEach, beforeEach, vi } from 'vitest'

export interface RecordedRequest {
  method: string
  url: string
  headers: Headers
  body: string
  /** The body parsed as a form (providers that post `application/x-www-form-urlencoded`). */
  form: URLSearchParams
  signal: AbortSignal | null
}

/** What the fake answers: a status, or a function that may also throw (a network failure). */
export type FakeReply = number | (() => Response | Promise<Response>)

/**
 * A stand-in for a provider's HTTP API: records every request and answers from a queue of
 * replies (then `fallback`, 201 by default). Requests to other origins go to the real fetch.
 */
export function fakeFetch(origin: string, fallback: FakeReply = 201) {
  const realFetch = globalThis.fetch
  const requests: RecordedRequest[] = []
  const queue: FakeReply[] = []

  const fake = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    if (!request.url.startsWith(origin)) return realFetch(input, init)
    const body = await request.text()
    requests.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body,
      form: new URLSearchParams(body),
      signal: init?.signal ?? null,
    })
    const reply = queue.shift() ?? fallback
    if (typeof reply === 'function') return reply()
    return new Response(JSON.stringify({ sid: 'SM0001', status: reply < 300 ? 'queued' : 'failed' }), {
      status: reply,
      headers: { 'content-type': 'application/json' },
    })
  })

  return {
    fetch: fake as unknown as typeof fetch,
    requests,
    /** Replies for the next requests, in order. */
    reply: (...replies: FakeReply[]) => {
      queue.push(...replies)
    },
    /** Replaces the global fetch (the Worker runs in this isolate) until `restore`. */
    install() {
      vi.stubGlobal('fetch', fake)
      return this
    },
    restore: () => vi.unstubAllGlobals(),
  }
}

export type FakeFetch = ReturnType<typeof fakeFetch>

/**
 * A fake installed for each test of the calling file or `describe` block (and restored after it):
 * the returned object reads the running test's fake. Fakes installed in order pass other origins
 * on to the ones before them.
 */
export function useFakeFetch(origin: string, fallback?: FakeReply): FakeFetch {
  let fake: FakeFetch | undefined
  beforeEach(() => {
    fake = fakeFetch(origin, fallback).install()
  })
  afterEach(() => {
    fake?.restore()
    fake = undefined
  })
  return new Proxy({} as FakeFetch, {
    get(_, key) {
      if (!fake) throw new Error(`useFakeFetch(${origin}): read outside the tests it fakes for`)
      return Reflect.get(fake, key)
    },
  })
}
