import { call, json } from './app'
import { newIp } from './factories'
import { type CeremonyOptions, type SoftAuthenticator, softAuthenticator } from './webauthn'

type Vars = Record<string, string>

/** Where a request goes: `/api/v1` for `default`, `/api/v1/pools/<pool>` for another pool (SPEC §12). */
export interface Target {
  pool?: string
  env?: Vars
}

const base = (t: Target) => (t.pool && t.pool !== 'default' ? `/api/v1/pools/${t.pool}` : '/api/v1')

/** POST /me/passkeys/options as the signed-in user. */
export function creationOptions(token: string, t: Target = {}): Promise<Response> {
  return call('POST', `${base(t)}/me/passkeys/options`, { token, env: t.env })
}

/** POST /me/passkeys with a credential (and a name). */
export function addPasskey(token: string, body: Record<string, unknown>, t: Target = {}): Promise<Response> {
  return call('POST', `${base(t)}/me/passkeys`, { token, json: body, env: t.env })
}

/** A registered passkey: the authenticator holding it and the API's view of it. */
export interface Enrolled {
  authenticator: SoftAuthenticator
  // biome-ignore lint/suspicious/noExplicitAny: test data
  passkey: any
}

/** Options, the software authenticator's credential, POST /me/passkeys: a registered passkey (throws unless 201). */
export async function enrol(
  token: string,
  opts: Target & { authenticator?: SoftAuthenticator; name?: string; ceremony?: CeremonyOptions } = {},
): Promise<Enrolled> {
  const authenticator = opts.authenticator ?? (await softAuthenticator())
  const res = await creationOptions(token, opts)
  if (res.status !== 200) throw new Error(`options failed: ${res.status} ${await res.text()}`)
  const credential = await authenticator.create(await json(res), opts.ceremony)
  const added = await addPasskey(token, { credential, ...(opts.name ? { name: opts.name } : {}) }, opts)
  if (added.status !== 201) throw new Error(`add failed: ${added.status} ${await added.text()}`)
  return { authenticator, passkey: await json(added) }
}

/** POST /auth/passkey/options (no body: a discoverable passkey), from a fresh address unless `ip` is given. */
export function requestOptions(body: Record<string, unknown> | undefined, t: Target & { ip?: string } = {}): Promise<Response> {
  return call('POST', `${base(t)}/auth/passkey/options`, { ...(body ? { json: body } : {}), env: t.env, ip: t.ip ?? newIp() })
}

/** POST /auth/passkey/verify with an assertion. */
export function verifyAssertion(credential: unknown, t: Target & { ip?: string } = {}): Promise<Response> {
  return call('POST', `${base(t)}/auth/passkey/verify`, { json: { credential }, env: t.env, ip: t.ip ?? newIp() })
}

/** Options (for `body`), then the authenticator's assertion for them: what a client would send to /verify. */
export async function assertionFor(
  authenticator: SoftAuthenticator,
  body?: Record<string, unknown>,
  opts: Target & { ceremony?: CeremonyOptions } = {},
): Promise<unknown> {
  const res = await requestOptions(body, opts)
  if (res.status !== 200) throw new Error(`options failed: ${res.status} ${await res.text()}`)
  return authenticator.get(await json(res), opts.ceremony)
}
