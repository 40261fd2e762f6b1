// The whole phone flow against an edge-auth deployment, with the typed `hono/client` (hc):
// register → read the texted code → verify → GET /me → refresh → logout.
//
//   npm run dev                                   # edge-auth on :8787, codes printed in its log
//   npx tsx examples/phone-flow.ts --phone '+216 98 765 432' --password 'Tunis-Sol4r-2026'
//
// Request bodies and response bodies are typed from edge-auth's own route schemas (`AppType`): a
// wrong field name or a missing `password` is a compile error, and `tokens.user.phone` is known
// to exist. Only types are imported from ../src; nothing of the server runs in the client.
import { type ClientResponse, hc, type InferResponseType } from 'hono/client'
import type { AppType } from '../src/app'

/** The typed client of an edge-auth deployment. */
export function edgeAuthClient(baseUrl: string, fetchFn?: typeof fetch) {
  return hc<AppType>(baseUrl, fetchFn ? { fetch: fetchFn } : {})
}

type Client = ReturnType<typeof edgeAuthClient>
export type Tokens = InferResponseType<Client['api']['v1']['auth']['verify']['$post'], 200>
export type User = InferResponseType<Client['api']['v1']['me']['$get'], 200>

export interface PhoneFlowOptions {
  /** Where edge-auth answers, e.g. http://localhost:8787. */
  baseUrl: string
  phone: string
  password: string
  name?: string
  /** Returns the code texted to `phone`: typed in by a person, or read from a test's outbox. */
  readCode: (phone: string) => string | Promise<string>
  /** The fetch to use (tests call the Worker directly); the global fetch otherwise. */
  fetch?: typeof fetch
  log?: (line: string) => void
}

export interface PhoneFlowResult {
  user: User
  me: User
  refreshed: Tokens
  /** What reusing the refresh token answered after logout: edge-auth's error code. */
  afterLogout: string
}

/** The body of an edge-auth error (application/problem+json): `error` is its stable code. */
async function problem(res: ClientResponse<unknown>): Promise<{ error?: string; detail?: string }> {
  return (await res.json().catch(() => ({}))) as { error?: string; detail?: string }
}

/** An edge-auth error as an exception naming the step, the status, the code and the detail. */
async function failure(step: string, res: ClientResponse<unknown>): Promise<Error> {
  const body = await problem(res)
  return new Error(`${step}: ${res.status} ${body.error ?? ''} ${body.detail ?? ''}`.trim())
}

export async function phoneFlow(o: PhoneFlowOptions): Promise<PhoneFlowResult> {
  const log = o.log ?? (() => {})
  const client = edgeAuthClient(o.baseUrl, o.fetch).api.v1
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

  const registered = await client.auth.register.$post({ json: { phone: o.phone, password: o.password, name: o.name } })
  if (registered.status !== 201) throw await failure('register', registered)
  const sent = await registered.json()
  log(`registered: ${sent.detail} (valid ${sent.expires_in} s)`)

  const code = await o.readCode(o.phone)
  const verified = await client.auth.verify.$post({ json: { phone: o.phone, code } })
  if (verified.status !== 200) throw await failure('verify', verified)
  const tokens = await verified.json()
  log(`verified: ${tokens.user.phone} is ${tokens.user.status}; access token valid ${tokens.expires_in} s`)

  const meRes = await client.me.$get({}, bearer(tokens.access_token))
  if (meRes.status !== 200) throw await failure('me', meRes)
  const me = await meRes.json()
  log(`me: ${me.id} (${me.role})`)

  const refreshRes = await client.auth.refresh.$post({ json: { refresh_token: tokens.refresh_token } })
  if (refreshRes.status !== 200) throw await failure('refresh', refreshRes)
  const refreshed = await refreshRes.json()
  log('refreshed: new access and refresh tokens; the old refresh token is spent')

  const loggedOut = await client.auth.logout.$post({}, bearer(refreshed.access_token))
  if (loggedOut.status !== 204) throw await failure('logout', loggedOut)
  log('logged out')

  const reuse = await client.auth.refresh.$post({ json: { refresh_token: refreshed.refresh_token } })
  if (reuse.status === 200) throw new Error('refresh after logout: accepted, expected a refusal')
  const afterLogout = (await problem(reuse)).error ?? String(reuse.status)
  log(`refresh after logout: ${reuse.status} ${afterLogout}`)
  return { user: tokens.user, me, refreshed, afterLogout }
}

async function main(argv: string[]): Promise<void> {
  const { parseArgs } = await import('node:util')
  const { createInterface } = await import('node:readline/promises')
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://localhost:8787' },
      phone: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string' },
    },
  })
  if (!values.phone || !values.password) {
    throw new Error("usage: npx tsx examples/phone-flow.ts --phone '+216 98 765 432' --password 'PASS' [--name N] [--url URL]")
  }
  const readCode = async (phone: string) => {
    const terminal = createInterface({ input: process.stdin, output: process.stdout })
    try {
      return (await terminal.question(`Code texted to ${phone} (with SMS_PROVIDER=console: in the edge-auth log): `)).trim()
    } finally {
      terminal.close()
    }
  }
  const options = { baseUrl: values.url, phone: values.phone, password: values.password, readCode, log: console.log }
  await phoneFlow(values.name ? { ...options, name: values.name } : options)
}

// Run as a script (tsx), not when imported (tests).
const script = globalThis.process?.argv?.[1]
if (script && import.meta.url === `file://${script}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
