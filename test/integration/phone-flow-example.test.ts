import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { phoneFlow } from '../../examples/phone-flow'
import worker from '../../src'
import { envWith } from '../helpers/app'
import { newPhone, PASSWORD } from '../helpers/factories'
import { useOutbox } from '../helpers/outbox'

// examples/phone-flow.ts, the typed-client example, driven against the real Worker: its fetch
// calls the Worker in-process, and the code is read from what the console provider "sent".

const box = useOutbox()

/** A fetch that calls the Worker and waits for its background work, like a real round trip. */
const workerFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init)
  request.headers.set('cf-connecting-ip', '192.0.2.80')
  const ctx = createExecutionContext()
  const res = await worker.fetch(request, envWith(), ctx)
  await waitOnExecutionContext(ctx)
  return res
}

describe('examples/phone-flow.ts', () => {
  it('registers, verifies with the texted code, reads /me, refreshes and logs out', async () => {
    const phone = newPhone()
    const lines: string[] = []
    const result = await phoneFlow({
      baseUrl: 'http://localhost',
      phone,
      password: PASSWORD,
      name: 'Ahmed',
      readCode: (to) => box.lastCode(to),
      fetch: workerFetch,
      log: (line) => lines.push(line),
    })
    expect(result.user).toMatchObject({ phone, name: 'Ahmed', status: 'active', phone_verified: true })
    expect(result.me.id).toBe(result.user.id)
    expect(result.refreshed.token_type).toBe('bearer')
    expect(result.afterLogout).toBe('invalid_token')
    expect(lines).toHaveLength(6)
  })

  it('stops with the edge-auth error of the failing step', async () => {
    const phone = newPhone()
    const flow = phoneFlow({
      baseUrl: 'http://localhost',
      phone,
      password: PASSWORD,
      readCode: () => '000000',
      fetch: workerFetch,
    })
    await expect(flow).rejects.toThrow(/^verify: 400 invalid_code/)
  })
})
