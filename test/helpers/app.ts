import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../src'

type Vars = Record<string, string>
const envs = new Map<string, Env>()

/**
 * The test env with some vars overridden. The same overrides give the same object, so the app's
 * per-isolate caches (config, keys) behave as in production.
 */
export function envWith(vars: Vars = {}): Env {
  const key = JSON.stringify(vars)
  let e = envs.get(key)
  if (!e) {
    e = { ...env, ...vars } as Env
    envs.set(key, e)
  }
  return e
}

export interface CallOptions {
  json?: unknown
  body?: BodyInit
  headers?: Record<string, string>
  token?: string
  env?: Vars
  ip?: string
}

/**
 * Calls the Worker like a client would, and waits for its `waitUntil` work (background sends,
 * re-hashing) before returning.
 */
export async function call(method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? '203.0.113.7', ...opts.headers }
  let body = opts.body
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = JSON.stringify(opts.json)
  }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  const ctx = createExecutionContext()
  const res = await worker.fetch(new Request(`http://localhost${path}`, { method, headers, body }), envWith(opts.env), ctx)
  await waitOnExecutionContext(ctx)
  return res
}

/** The body of a JSON response, typed loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
export async function json(res: Response): Promise<any> {
  return res.json()
}

/** Asserts the spec's error body (SPEC §3) and returns it. */
export async function expectError(res: Response, status: number, code: string) {
  const body = await json(res)
  if (res.status !== status || body.error !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(body)}`)
  }
  if (!res.headers.get('content-type')?.startsWith('application/problem+json')) throw new Error('not problem+json')
  if (!body.request_id || body.request_id !== res.headers.get('x-request-id')) throw new Error('request_id missing')
  if (body.status !== status || typeof body.title !== 'string' || body.type !== 'about:blank') throw new Error('not RFC 9457')
  return body
}
