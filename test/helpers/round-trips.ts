import { AsyncLocalStorage } from 'node:async_hooks'
import { TestRunner } from 'vitest'
import worker from '../../src'
import { countingD1, countingKv } from './round-trips-bindings'

/**
 * Storage round trips per request (issue 15): every call that reaches D1 (a prepared statement's
 * first/all/run/raw, exec, dump, and one `batch()` as ONE call) and every KV call, split into reads
 * (get, getWithMetadata, list) and writes (put, delete).
 *
 * Importing this module routes every Worker call of the test file (`call` and every helper built
 * on it) through counting bindings, from the first call on, so the app's per-env deps stay warm
 * as in an isolate; they count only inside `countTrips`. `countTrips(fn, { isolate })` serves
 * from another isolate (same storage, app deps built afresh).
 */

export interface Trips {
  d1: number
  kvRead: number
  kvWrite: number
}

/** One storage call, in the order made: when, where and what (a statement's SQL, a KV key's kind). */
export interface TripCall {
  phase: 'before' | 'after'
  kind: keyof Trips
  what: string
}

export interface TripCount<T> {
  /** Calls the answer waited on: made while the Worker's fetch promise was pending, on its own chain. */
  before: Trips
  /** Work handed to `waitUntil` (even when it started before the answer), and calls made after the answer. */
  after: Trips
  /** Requests the Worker served meanwhile. */
  requests: number
  calls: TripCall[]
  /** What the counted function returned (e.g. the Response of `call`). */
  response: T
}

interface RequestTrips {
  answered: boolean
  calls: TripCall[]
}

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>

const current = new AsyncLocalStorage<RequestTrips>()
let collector: RequestTrips[] | undefined

const zero = (): Trips => ({ d1: 0, kvRead: 0, kvWrite: 0 })

// The app hands work to `waitUntil` through one door, `deps.defer` (src/deps.ts), which starts the
// work at once: a call made synchronously under it has a frame named `defer`.
const DEFER_FRAME = /\bat (?:\S+\.)?defer \(/
const REQUEST_FRAME = 'countedRequest'

/**
 * Before the answer means: made while the request was pending, on the chain of calls and awaits
 * the answer waits for (V8's async stack reaches the request's fetch). Work handed to `waitUntil`
 * is "after" even when it starts first: its first calls run under `defer`, and after an await its
 * stack no longer reaches the request's fetch. A call made inside a `.then()` callback has no async
 * stack, so the answer's path must reach storage through `await` (src/ does) to be counted before.
 */
function phaseOf(request: RequestTrips): TripCall['phase'] {
  if (request.answered) return 'after'
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 200
  const stack = new Error().stack ?? ''
  Error.stackTraceLimit = limit
  return DEFER_FRAME.test(stack) || !stack.includes(REQUEST_FRAME) ? 'after' : 'before'
}

function note(kind: TripCall['kind'], what: string): void {
  const request = current.getStore()
  if (request) request.calls.push({ phase: phaseOf(request), kind, what })
}

const wrappedEnvs = new WeakMap<object, Map<string, Env>>()
let isolate = ''

/**
 * The env with counting D1 and KV bindings: one copy per env object and isolate name, so the app's
 * per-env deps (config, keys, in-isolate memos) stay warm across calls, and another name starts cold.
 */
export function countingEnv(env: Env, isolateName = ''): Env {
  const copies = wrappedEnvs.get(env) ?? new Map<string, Env>()
  wrappedEnvs.set(env, copies)
  let wrapped = copies.get(isolateName)
  if (!wrapped) {
    wrapped = { ...env, DB: countingD1(env.DB, note), KV: countingKv(env.KV, note) }
    copies.set(isolateName, wrapped)
  }
  return wrapped
}

/**
 * A Worker fetch that counts: the request runs with counting bindings, and its calls are sorted
 * into before and after its answer (see `phaseOf`).
 */
export function countingFetch(fetch: Fetch): Fetch {
  return (request, env, ctx) => {
    const counted = countingEnv(env, isolate)
    if (!collector) return fetch(request, counted, ctx)
    const trips: RequestTrips = { answered: false, calls: [] }
    collector.push(trips)
    return current.run(trips, async function countedRequest() {
      try {
        return await fetch(request, counted, ctx)
      } finally {
        trips.answered = true
      }
    })
  }
}

const sum = (calls: TripCall[], phase: TripCall['phase']): Trips => {
  const t = zero()
  for (const c of calls) if (c.phase === phase) t[c.kind]++
  return t
}

export interface CountOptions {
  /**
   * Serve the requests from another isolate: the same storage, but app deps built afresh for it
   * (no code this isolate sent, no cached profile). Each name is one isolate, warm once used.
   */
  isolate?: string
}

/**
 * Runs `fn` (e.g. `() => call('POST', '/api/v1/auth/verify', …)`, which waits for `waitUntil`
 * work) and counts the storage calls of every request it made, before and after each answer.
 */
export async function countTrips<T>(fn: () => Promise<T>, opts: CountOptions = {}): Promise<TripCount<T>> {
  if (collector) throw new Error('countTrips does not nest')
  const requests: RequestTrips[] = []
  collector = requests
  isolate = opts.isolate ?? ''
  try {
    const response = await fn()
    const calls = requests.flatMap((r) => r.calls)
    return { before: sum(calls, 'before'), after: sum(calls, 'after'), requests: requests.length, calls, response }
  } finally {
    collector = undefined
    isolate = ''
  }
}

/** One flow's figures, as `npm run bench` prints them (scripts/lib/round-trips-reporter.mjs). */
export interface FlowTrips {
  flow: string
  before: Trips
  after: Trips
  /** Issue 15's floor for the flow, in words. */
  floor: string
}

declare module 'vitest' {
  interface TaskMeta {
    roundTrips?: FlowTrips
  }
}

/** Attaches a flow's count to the running test, where the bench's reporter reads it. */
export function recordFlow(count: TripCount<unknown>, flow: Omit<FlowTrips, 'before' | 'after'>): void {
  const test = TestRunner.getCurrentTest()
  if (test) test.meta.roundTrips = { ...flow, before: count.before, after: count.after }
}

/** The calls of a count, one a line: an assertion message that says which call is extra. */
export function listCalls(count: Pick<TripCount<unknown>, 'calls'>): string {
  return count.calls.map((c) => `${c.phase.padEnd(6)} ${c.kind.padEnd(7)} ${c.what}`).join('\n')
}

// The app object is the module's default export; its `fetch` is an own property, so every caller
// of it in this test file (test/helpers/app.ts `call`) goes through the counters.
const app = worker as unknown as { fetch: Fetch }
app.fetch = countingFetch(app.fetch.bind(worker))
