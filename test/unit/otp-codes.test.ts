import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { newId } from '../../src/crypto/random'
import { MEMO_CODES, otpCodesStore } from '../../src/storage/kv/otp-codes'

// The isolate's memory of the code entries it wrote (storage/kv/otp-codes.ts): verify in the
// sending isolate skips the KV read. KV stays the record every other isolate reads.

function setup() {
  let now = 5_000_000
  const store = otpCodesStore(env.KV, { clock: () => now })
  return { store, advance: (ms: number) => (now += ms) }
}

const entry = () => ({ id: newId(), mac: 'bWFj', uid: newId() })

describe('otp code entries remembered by the isolate that wrote them', () => {
  it('recalls what it wrote without KV, and KV holds the same entry for the others', async () => {
    const { store } = setup()
    const dest = `sms:+1555${Math.floor(Math.random() * 1e7)}`
    const e = entry()
    expect(store.recall('login', dest)).toBeNull()
    await store.put('login', dest, e, 300)
    expect(store.recall('login', dest)).toEqual(e)
    expect(store.recall('reset', dest)).toBeNull()
    expect(await env.KV.get(`otp:login:${dest}`, 'json')).toEqual(e)
    // Another isolate (another store over the same KV) has no copy, and reads KV.
    const other = otpCodesStore(env.KV)
    expect(other.recall('login', dest)).toBeNull()
    expect(await other.get('login', dest)).toEqual(e)
  })

  it('forgets an entry when its code expires, and on request', async () => {
    const { store, advance } = setup()
    const a = `email:a-${newId()}@example.com`
    const b = `email:b-${newId()}@example.com`
    await store.put('login', a, entry(), 120)
    await store.put('login', b, entry(), 120)
    advance(119_999)
    expect(store.recall('login', a)).not.toBeNull()
    advance(1)
    expect(store.recall('login', a)).toBeNull()
    store.forget('login', b)
    expect(store.recall('login', b)).toBeNull()
  })

  it('keeps only the newest entry of a destination, and at most MEMO_CODES entries', async () => {
    const { store } = setup()
    const dest = `sms:+1666${Math.floor(Math.random() * 1e7)}`
    const first = entry()
    const second = entry()
    await store.put('login', dest, first, 300)
    await store.put('login', dest, second, 300)
    expect(store.recall('login', dest)).toEqual(second)
    const writes = []
    for (let i = 0; i < MEMO_CODES; i++) writes.push(store.put('login', `${dest}-${i}`, entry(), 300))
    await Promise.all(writes)
    expect(store.recall('login', dest)).toBeNull() // the oldest went first
    expect(store.recall('login', `${dest}-0`)).not.toBeNull()
    expect(store.recall('login', `${dest}-${MEMO_CODES - 1}`)).not.toBeNull()
  }, 30_000) // a thousand local KV writes: over 5 s on the shared 2-core machine

  it('remembers nothing when KV refused the write', async () => {
    const refusing = { put: () => Promise.reject(new Error('KV put failed: 500')) } as unknown as KVNamespace
    const store = otpCodesStore(refusing)
    await expect(store.put('login', 'sms:+15550001111', entry(), 300)).rejects.toThrow(/500/)
    expect(store.recall('login', 'sms:+15550001111')).toBeNull()
  })

  it('reads the entries of several purposes in one KV call, leaving out the absent ones', async () => {
    const { store } = setup()
    const dest = `sms:+1777${Math.floor(Math.random() * 1e7)}`
    const e = entry()
    await store.put('register', dest, e, 300)
    const other = otpCodesStore(env.KV)
    expect(await other.getMany(['login', 'register'], dest)).toEqual([{ purpose: 'register', entry: e }])
    expect(await other.getMany(['login'], dest)).toEqual([])
  })
})
