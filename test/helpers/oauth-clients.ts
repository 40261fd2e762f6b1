import { env } from 'cloudflare:workers'
import { call, json } from './app'

type Vars = Record<string, string>

/** A valid POST /oauth-clients body: a confidential web app, with `extra` over it. */
export const webClientBody = (extra: Record<string, unknown> = {}) => ({
  name: 'Solar dashboard',
  type: 'confidential',
  redirect_uris: ['https://app.example.tn/callback'],
  ...extra,
})

/** POST /oauth-clients as `token` (the answer, whatever it is). */
export const postClient = (token: string, body: unknown, vars?: Vars) =>
  call('POST', '/api/v1/oauth-clients', { token, json: body, env: vars })

/** Registers a client as `token`, which must succeed; returns the 201 body (with `client_secret` if confidential). */
// biome-ignore lint/suspicious/noExplicitAny: test data
export async function registerClient(token: string, body: unknown = webClientBody(), vars?: Vars): Promise<any> {
  const res = await postClient(token, body, vars)
  if (res.status !== 201) throw new Error(`register client failed: ${res.status} ${await res.text()}`)
  return json(res)
}

/** The client's row as stored (null once deleted). */
export const clientRow = (clientId: string) =>
  env.DB.prepare('SELECT * FROM oauth_clients WHERE id = ?').bind(clientId).first<Record<string, unknown>>()
