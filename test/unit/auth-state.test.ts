import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { newId } from '../../src/crypto/random'
import { authStateStore, MEMO_SESSIONS_PER_USER, MEMO_USERS } from '../../src/storage/kv/auth-state'

/** Real local KV behind a counter of bulk gets, and a clock the test moves. */
function setup(memoMs = 1000) {
  let gets = 0
  const kv = new Proxy(env.KV, {
    get(target, prop) {
      if (prop === 'get') {
        return (...args: Parameters<KVNamespace['get']>) => {
          gets++
          return (target.get as (...a: unknown[]) => unknown)(...args)
        }
      }
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as KVNamespace
  let now = 1_000_000
  const store = authStateStore(kv, { markTtlSeconds: 960, memoMs, clock: () => now })
  return {
    store,
    gets: () => gets,
    advance: (ms: number) => {
      now += ms
    },
  }
}

const ids = () => ({ user: newId(), session: newId() })

describe('auth state remembered in the isolate', () => {
  it('reads KV once for a burst of lookups of one session, again once the copy ages out', async () => {
    const { store, gets, advance } = setup(1000)
    const { user, session } = ids()
    await store.lookup(user, session)
    await store.lookup(user, session)
    advance(999)
    await store.lookup(user, session)
    expect(gets()).toBe(1)
    advance(1)
    await store.lookup(user, session)
    expect(gets()).toBe(2)
  })

  it('reads each session of a user on its own', async () => {
    const { store, gets } = setup()
    const { user, session } = ids()
    await store.lookup(user, session)
    await store.lookup(user, newId())
    expect(gets()).toBe(2)
  })

  it('sees its own session mark at once, inside the window', async () => {
    const { store } = setup(60_000)
    const { user, session } = ids()
    expect((await store.lookup(user, session)).sessionRevoked).toBe(false)
    await store.markSession(user, session)
    expect((await store.lookup(user, session)).sessionRevoked).toBe(true)
  })

  it('sees its own user mark at once, for every session of the user', async () => {
    const { store } = setup(60_000)
    const { user, session } = ids()
    const other = newId()
    await store.lookup(user, session)
    await store.lookup(user, other)
    await store.markUser(user, { before: 123, keep: other })
    expect((await store.lookup(user, session)).user).toEqual({ before: 123, keep: other })
    expect((await store.lookup(user, other)).user).toEqual({ before: 123, keep: other })
  })

  it('takes a new profile at once and forgets a dropped one', async () => {
    const { store } = setup(60_000)
    const { user, session } = ids()
    expect((await store.lookup(user, session)).profile).toBeNull()
    await store.putProfile(user, { id: user, name: 'Ahmed' })
    expect((await store.lookup(user, session)).profile).toEqual({ id: user, name: 'Ahmed' })
    await store.dropProfile(user)
    expect((await store.lookup(user, session)).profile).toBeNull()
  })

  it('does not remember a read that raced a revocation (it could predate the mark)', async () => {
    const { store, gets } = setup(60_000)
    const { user, session } = ids()
    const inFlight = store.lookup(user, session)
    await store.markSession(user, session)
    await inFlight
    expect((await store.lookup(user, session)).sessionRevoked).toBe(true)
    expect(gets()).toBe(2)
  })

  it('reads KV every time when the window is 0', async () => {
    const { store, gets } = setup(0)
    const { user, session } = ids()
    await store.lookup(user, session)
    await store.lookup(user, session)
    expect(gets()).toBe(2)
  })

  it(`remembers at most ${MEMO_USERS} users, forgetting the least recently read`, async () => {
    const { store, gets } = setup(60_000)
    const first = ids()
    const second = ids()
    await store.lookup(first.user, first.session)
    await store.lookup(second.user, second.session)
    for (let i = 0; i < MEMO_USERS - 2; i++) await store.lookup(`u${i}`, 's')
    await store.lookup(first.user, first.session) // read again: now the most recent
    await store.lookup('one-more', 's') // over the cap: `second` goes
    const before = gets()
    await store.lookup(first.user, first.session)
    expect(gets()).toBe(before)
    await store.lookup(second.user, second.session)
    expect(gets()).toBe(before + 1)
  })
})

describe('one account with many sessions', () => {
  it(`is remembered for at most ${MEMO_SESSIONS_PER_USER} of its sessions, the oldest forgotten first`, async () => {
    const { store, gets } = setup(60_000)
    const user = newId()
    const sessions = Array.from({ length: MEMO_SESSIONS_PER_USER + 1 }, () => newId())
    for (const s of sessions) await store.lookup(user, s)
    const before = gets()
    await store.lookup(user, sessions.at(-1) as string)
    expect(gets()).toBe(before)
    await store.lookup(user, sessions[0] as string)
    expect(gets()).toBe(before + 1)
  })
})

describe('a session opened in this isolate', () => {
  it('is known without a KV read, with the profile just built, and KV is not written', async () => {
    const { store, gets } = setup(60_000)
    const { user, session } = ids()
    store.sessionOpened(user, session, { id: user, name: 'Salma' })
    expect(await store.lookup(user, session)).toEqual({ user: null, sessionRevoked: false, profile: { id: user, name: 'Salma' } })
    expect(gets()).toBe(0)
    expect(await env.KV.get(`pf:${user}`)).toBeNull()
  })

  it('gives its profile to the other sessions this isolate knows', async () => {
    const { store } = setup(60_000)
    const { user, session } = ids()
    await store.lookup(user, session)
    store.sessionOpened(user, newId(), { id: user, name: 'Salma' })
    expect((await store.lookup(user, session)).profile).toEqual({ id: user, name: 'Salma' })
  })

  it('is still revoked at once by a mark made here', async () => {
    const { store } = setup(60_000)
    const { user, session } = ids()
    store.sessionOpened(user, session, { id: user })
    await store.markSession(user, session)
    expect((await store.lookup(user, session)).sessionRevoked).toBe(true)
  })
})

describe('marks and KV write rate (one write per key per second)', () => {
  /** Real local KV whose puts fail the way KV refuses a second write of a key within a second. */
  function refusingKv(refusals: number, message = 'KV PUT failed: 429 Too Many Requests') {
    let left = refusals
    const puts: string[] = []
    const kv = new Proxy(env.KV, {
      get(target, prop) {
        if (prop === 'put') {
          return (...args: Parameters<KVNamespace['put']>) => {
            puts.push(args[0])
            if (left-- > 0) return Promise.reject(new Error(message))
            return target.put(...args)
          }
        }
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as KVNamespace
    return { kv, puts }
  }

  it('writes a refused mark again after the second has passed, so the revocation holds', async () => {
    const { kv, puts } = refusingKv(1)
    const store = authStateStore(kv, { markTtlSeconds: 960, memoMs: 0, retryAfterMs: 5 })
    const { user, session } = ids()
    await store.markUser(user, { before: 123, keep: null })
    expect(puts).toEqual([`rv:u:${user}`, `rv:u:${user}`])
    expect((await store.lookup(user, session)).user).toEqual({ before: 123, keep: null })
  })

  it('gives up after one more refusal, and never retries another failure', async () => {
    const twice = refusingKv(2)
    const store = authStateStore(twice.kv, { markTtlSeconds: 960, memoMs: 0, retryAfterMs: 5 })
    await expect(store.markSession(newId(), newId())).rejects.toThrow(/429/)
    expect(twice.puts).toHaveLength(2)

    const broken = refusingKv(1, 'KV PUT failed: 500 Internal Server Error')
    const other = authStateStore(broken.kv, { markTtlSeconds: 960, memoMs: 0, retryAfterMs: 5 })
    await expect(other.markSession(newId(), newId())).rejects.toThrow(/500/)
    expect(broken.puts).toHaveLength(1)
  })
})
