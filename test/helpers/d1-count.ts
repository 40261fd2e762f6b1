import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../src'
import { envWith } from './app'

const RUNS = ['first', 'all', 'run', 'raw'] as const

/**
 * The test D1 binding, counting its round trips: each `batch`, `exec`, and each statement run
 * (`first`, `all`, `run`, `raw`). Statements stay the binding's own, so batches accept them.
 */
export function countingD1(db: D1Database = env.DB) {
  const counter = { calls: 0 }
  const watch = (s: D1PreparedStatement): D1PreparedStatement => {
    const target = s as unknown as Record<string, (...args: unknown[]) => unknown>
    for (const name of RUNS) {
      const run = target[name]?.bind(s)
      target[name] = (...args: unknown[]) => {
        counter.calls++
        return run?.(...args)
      }
    }
    const bind = s.bind.bind(s)
    s.bind = (...values: unknown[]) => watch(bind(...values))
    return s
  }
  const binding = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => watch(target.prepare(query))
      if (prop === 'batch' || prop === 'exec') {
        return (...args: unknown[]) => {
          counter.calls++
          return (target[prop] as (...a: unknown[]) => unknown).apply(target, args)
        }
      }
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { binding, counter }
}

/**
 * Calls the Worker like `call()` with an env whose D1 binding counts round trips (one env per
 * `vars`, so the app's per-isolate caches behave as in production). Returns the answer and the
 * number of D1 round trips the request made, its background work included.
 */
export function countingWorker(vars: Record<string, string> = {}) {
  const { binding, counter } = countingD1()
  const counted = { ...envWith(vars), DB: binding } as Env
  return {
    counter,
    async call(method: string, path: string, opts: { json?: unknown; ip?: string } = {}): Promise<Response> {
      const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? '203.0.113.7' }
      if (opts.json !== undefined) headers['content-type'] = 'application/json'
      const body = opts.json === undefined ? undefined : JSON.stringify(opts.json)
      const ctx = createExecutionContext()
      const res = await worker.fetch(new Request(`http://localhost${path}`, { method, headers, body }), counted, ctx)
      await waitOnExecutionContext(ctx)
      return res
    },
  }
}
