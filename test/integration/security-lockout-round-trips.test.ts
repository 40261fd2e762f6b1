import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildDeps } from '../../src/deps'
import { AppError } from '../../src/errors'
import { loginWithPassword } from '../../src/services/sign-in'
import { call } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { activeUser, newIp } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'

// The lockout adds no D1 round trip before the answer of a normal password login (SPEC §6.1,
// issue 14): one batch before hashing, one to open the session; the counts are written after the
// answer. Only a locked identifier costs one more (the known-bucket look-up).

const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '5' }

/** The test D1 binding, counting its calls (a batch is one). */
function countingD1() {
  const counter = { calls: 0 }
  const targets = new WeakMap<object, D1PreparedStatement>()
  const COUNTED = new Set(['run', 'all', 'first', 'raw'])
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target)
        if (typeof value !== 'function') return value
        if (prop === 'bind') return (...args: unknown[]) => wrap(value.apply(target, args))
        return (...args: unknown[]) => {
          if (COUNTED.has(String(prop))) counter.calls++
          return value.apply(target, args)
        }
      },
    })
    targets.set(proxy, stmt)
    return proxy
  }
  const db = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      if (prop === 'prepare') return (sql: string) => wrap(value.call(target, sql))
      return (...args: unknown[]) => {
        counter.calls++
        if (prop === 'batch')
          return value.call(
            target,
            (args[0] as D1PreparedStatement[]).map((s) => targets.get(s) ?? s),
          )
        return value.apply(target, args)
      }
    },
  })
  return { db, counter }
}

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

/** Calls loginWithPassword directly and counts the D1 calls made before it answers. */
async function loginCounting(phone: string, password: string, ip: string) {
  const { db, counter } = countingD1()
  const queued: (() => Promise<unknown>)[] = []
  const built = buildDeps({ ...env, ...LOCK, DB: db } as unknown as Parameters<typeof buildDeps>[0], () => {})
  // Work deferred to after the answer is held back until the answer is in, so it is not counted.
  const deps = { ...built, defer: (work: () => Promise<unknown>) => void queued.push(work) }
  const outcome = await loginWithPassword(deps, { phone, password }, { ip, userAgent: null }).then(
    () => 200,
    (err: unknown) => (err instanceof AppError ? err.status : 500),
  )
  const beforeAnswer = counter.calls
  for (const work of queued) await work()
  return { outcome, beforeAnswer }
}

describe('D1 round trips of a password login', () => {
  it('a right password: 2 (the first batch, then the session)', async () => {
    const user = await activeUser(box, { env: LOCK })
    expect(await loginCounting(user.phone, PASSWORD, newIp())).toEqual({ outcome: 200, beforeAnswer: 2 })
  })

  it('a wrong password: 1 (the failure is written after the answer)', async () => {
    const user = await activeUser(box, { env: LOCK })
    expect(await loginCounting(user.phone, 'Wrong-Pass-123', newIp())).toEqual({ outcome: 401, beforeAnswer: 1 })
  })

  it('a locked identifier: 2 and no hash for a stranger; 3 for the owner at a known bucket', async () => {
    const home = newIp()
    const user = await activeUser(box, { env: LOCK })
    expect(
      (await call('POST', '/api/v1/auth/login', { json: { phone: user.phone, password: PASSWORD }, env: LOCK, ip: home })).status,
    ).toBe(200)
    for (let i = 0; i < 5; i++) {
      await call('POST', '/api/v1/auth/login', {
        json: { phone: user.phone, password: 'Wrong-Pass-123' },
        env: LOCK,
        ip: newIp(),
      })
    }
    expect(await loginCounting(user.phone, PASSWORD, newIp())).toEqual({ outcome: 429, beforeAnswer: 2 })
    expect(await loginCounting(user.phone, PASSWORD, home)).toEqual({ outcome: 200, beforeAnswer: 3 })
  })
})
