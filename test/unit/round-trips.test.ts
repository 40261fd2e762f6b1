import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/storage/db/client'
import { countingEnv, countingFetch, countTrips } from '../helpers/round-trips'

// The counter itself, on hand-written handlers over the real local D1 and KV.

type Handler = (env: Env, ctx: ExecutionContext) => Promise<Response>

/** Serves one request with `handler` through the counting fetch, then waits for its waitUntil work. */
async function serve(handler: Handler, onEnv: Env = env): Promise<Response> {
  const ctx = createExecutionContext()
  const res = await countingFetch((_req, e, c) => handler(e, c))(new Request('http://localhost/'), onEnv, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

const ok = () => new Response('ok')
const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

describe('countTrips', () => {
  it('counts a D1 batch of three statements as one call, and each statement run alone as one', async () => {
    const count = await countTrips(() =>
      serve(async (e) => {
        const one = e.DB.prepare('SELECT ? AS n')
        await e.DB.batch([one.bind(1), one.bind(2), one.bind(3)])
        await one.bind(4).first()
        await one.bind(5).all()
        await one.bind(6).raw()
        await e.DB.prepare('SELECT 1').run()
        await e.DB.exec('SELECT 1')
        return ok()
      }),
    )
    expect(count.before).toEqual({ d1: 6, kvRead: 0, kvWrite: 0 })
    expect(count.after).toEqual({ d1: 0, kvRead: 0, kvWrite: 0 })
    expect(count.calls[0]?.what).toMatch(/^batch \[SELECT \? AS n ; SELECT \? AS n ; SELECT \? AS n\]$/)
  })

  it("counts drizzle's queries and its batch() once each, and the batch still returns every result", async () => {
    const count = await countTrips(() =>
      serve(async (e) => {
        const db = createDb(e.DB)
        const [a, b] = await db.batch([db.run(sql`SELECT 1`), db.all<{ n: number }>(sql`SELECT 2 AS n`)])
        expect(a).toBeDefined()
        expect(b).toEqual([{ n: 2 }])
        await db.all(sql`SELECT 3`)
        return ok()
      }),
    )
    expect(count.before).toEqual({ d1: 2, kvRead: 0, kvWrite: 0 })
  })

  it('splits KV calls into reads (get, getWithMetadata, list) and writes (put, delete)', async () => {
    const count = await countTrips(() =>
      serve(async (e) => {
        await e.KV.put('rt:unit:a', '1')
        await e.KV.get('rt:unit:a')
        await e.KV.getWithMetadata('rt:unit:a')
        await e.KV.get(['rt:unit:a', 'rt:unit:b']) // a bulk get is one call
        await e.KV.list({ prefix: 'rt:unit:' })
        await e.KV.delete('rt:unit:a')
        return ok()
      }),
    )
    expect(count.before).toEqual({ d1: 0, kvRead: 4, kvWrite: 2 })
  })

  it('counts waitUntil work as after the answer, also when it starts before the answer resolves', async () => {
    const count = await countTrips(() =>
      serve(async (e, ctx) => {
        await e.DB.prepare('SELECT 1').first()
        // Started now, first awaiting something: its calls are on a chain the answer does not wait for.
        const background = async () => {
          await Promise.resolve()
          await e.KV.put('rt:unit:bg', '1')
        }
        ctx.waitUntil(background())
        // After the answer.
        ctx.waitUntil(tick().then(() => e.DB.prepare('SELECT 2').first()))
        // The app's door to waitUntil (src/deps.ts `defer`) runs the work at once, synchronously.
        const defer = (work: () => Promise<unknown>) => ctx.waitUntil(work())
        defer(() => e.KV.delete('rt:unit:bg'))
        return ok()
      }),
    )
    expect(count.before).toEqual({ d1: 1, kvRead: 0, kvWrite: 0 })
    expect(count.after).toEqual({ d1: 1, kvRead: 0, kvWrite: 2 })
  })

  it('counts calls the answer awaits as before it, after awaits and timers and in parallel', async () => {
    const count = await countTrips(() =>
      serve(async (e) => {
        await tick()
        await Promise.all([e.KV.get('rt:unit:x'), e.DB.prepare('SELECT 1').first()])
        const later = async () => {
          await tick()
          return e.DB.prepare('SELECT 2').first()
        }
        await later()
        return ok()
      }),
    )
    expect(count.before).toEqual({ d1: 2, kvRead: 1, kvWrite: 0 })
  })

  it('adds up the requests made inside it, and counts nothing outside it', async () => {
    const handler: Handler = async (e) => {
      await e.DB.prepare('SELECT 1').first()
      return ok()
    }
    await serve(handler) // not counted
    const count = await countTrips(async () => {
      await serve(handler)
      return serve(handler)
    })
    expect(count.requests).toBe(2)
    expect(count.before.d1).toBe(2)
    await expect(countTrips(() => countTrips(() => serve(handler)))).rejects.toThrow('does not nest')
  })

  it('keeps one counting env per env object and isolate name, so app deps stay warm in an isolate', async () => {
    expect(countingEnv(env)).toBe(countingEnv(env))
    expect(countingEnv(env, 'another')).not.toBe(countingEnv(env))
    expect(countingEnv(env, 'another')).toBe(countingEnv(env, 'another'))
    let seen: Env | undefined
    const remember: Handler = async (e) => {
      seen = e
      return ok()
    }
    await countTrips(() => serve(remember), { isolate: 'another' })
    expect(seen).toBe(countingEnv(env, 'another'))
  })
})
