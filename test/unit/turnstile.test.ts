import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest'
import { PROVIDER_TIMEOUT_MS } from '../../src/providers/delivery'
import { turnstileVerifier } from '../../src/providers/turnstile'
import { fakeFetch } from '../helpers/fake-fetch'

const cfg = { apiBase: 'https://turnstile.test/', secretKey: 'ts-secret' }
const verdict =
  (body: unknown, status = 200) =>
  () =>
    Response.json(body, { status })

let timeout: MockInstance<typeof AbortSignal.timeout>
beforeEach(() => {
  timeout = vi.spyOn(AbortSignal, 'timeout')
})
afterEach(() => timeout.mockRestore())

describe('turnstileVerifier', () => {
  it('POSTs secret, response and remoteip as a form to /turnstile/v0/siteverify with a 5 s timeout', async () => {
    const fake = fakeFetch('https://turnstile.test', verdict({ success: true }))
    expect(await turnstileVerifier(cfg, fake.fetch).verify('tok-123', '198.51.100.9')).toBe(true)
    expect(fake.requests).toHaveLength(1)
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://turnstile.test/turnstile/v0/siteverify')
    expect(req?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(req?.body).toBe('secret=ts-secret&response=tok-123&remoteip=198.51.100.9')
    expect(timeout).toHaveBeenCalledWith(PROVIDER_TIMEOUT_MS)
    expect(PROVIDER_TIMEOUT_MS).toBe(5000)
    expect(req?.signal).toBe(timeout.mock.results.at(-1)?.value)
  })

  it('leaves remoteip out when the client address is unknown', async () => {
    const fake = fakeFetch('https://turnstile.test', verdict({ success: true }))
    await turnstileVerifier(cfg, fake.fetch).verify('tok', 'unknown')
    expect([...(fake.requests[0]?.form.keys() ?? [])]).toEqual(['secret', 'response'])
  })

  it('refuses unless the answer is 2xx JSON with success: true (fail closed)', async () => {
    const replies = [
      verdict({ success: false, 'error-codes': ['invalid-input-response'] }),
      verdict({ success: 'true' }),
      verdict({ success: true }, 500),
      () => new Response('not json'),
      () => Promise.reject(new TypeError('Network connection lost.')),
    ]
    for (const reply of replies) {
      const fake = fakeFetch('https://turnstile.test', reply)
      expect(await turnstileVerifier(cfg, fake.fetch).verify('tok', '198.51.100.9')).toBe(false)
    }
  })
})
