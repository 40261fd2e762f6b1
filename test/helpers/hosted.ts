import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import { buildDeps } from '../../src/deps'
import { type AuthorizationRequest, sealRequest } from '../../src/services/oidc'
import { call, envWith } from './app'
import { newIp } from './factories'
import { parsePage } from './html'

type Vars = Record<string, string>

export const REDIRECT_URI = 'https://app.example.com/callback'

let clients = 0
/**
 * An OAuth client row, written straight into oauth_clients (the registry API is another part's):
 * a public, third-party client of `pool` unless told otherwise. Returns its id.
 */
export async function insertClient(o: { pool?: string; firstParty?: boolean; name?: string; redirectUri?: string } = {}) {
  clients++
  const id = `client-${Date.now().toString(36)}-${clients}`
  const now = Date.now()
  await env.DB.prepare(
    `INSERT INTO oauth_clients (id, pool, name, type, redirect_uris, grant_types, scope, first_party, created_at, updated_at)
     VALUES (?, ?, ?, 'public', ?, '["authorization_code","refresh_token"]', 'openid profile email phone', ?, ?, ?)`,
  )
    .bind(
      id,
      o.pool ?? 'default',
      o.name ?? 'Solaris Monitor',
      JSON.stringify([o.redirectUri ?? REDIRECT_URI]),
      o.firstParty ? 1 : 0,
      now,
      now,
    )
    .run()
  return id
}

/** The `request` parameter /oauth2/authorize would hand the pages (sealed with the Worker's own key). */
export function sealedRequest(clientId: string, o: Partial<AuthorizationRequest> & { pool?: string; env?: Vars } = {}) {
  const { pool, env: vars, ...fields } = o
  const deps = buildDeps(envWith(vars), () => {}).inPool(pool ?? 'default')
  return sealRequest(deps, {
    clientId,
    redirectUri: REDIRECT_URI,
    scope: 'openid profile',
    state: 'st-1',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWT9tFKS7ntVg',
    iat: Date.now(),
    ...fields,
  })
}

/** A browser: a cookie jar, a fixed address and language, and the CSRF field of the last page. */
export class Browser {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(
    readonly o: { ip?: string; lang?: string; env?: Vars } = {},
    readonly ip = o.ip ?? newIp(),
  ) {}

  private headers(extra: Record<string, string> = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    return { ...(cookie ? { cookie } : {}), ...(this.o.lang ? { 'accept-language': this.o.lang } : {}), ...extra }
  }

  private async keep(res: Response): Promise<Response> {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
    if (res.headers.get('content-type')?.startsWith('text/html')) {
      const html = await res.clone().text()
      const field = (await parsePage(html)).all('input').find((i) => i.attrs.name === 'csrf')
      if (field?.attrs.value) this.csrf = field.attrs.value
    }
    return res
  }

  async get(path: string): Promise<Response> {
    return this.keep(await call('GET', path, { headers: this.headers(), ip: this.ip, env: this.o.env }))
  }

  /** Posts a form; `request` and `csrf` are added unless given (pass `csrf: ''` to leave it out). */
  async post(path: string, fields: Record<string, string>, request?: string): Promise<Response> {
    const body = new URLSearchParams({ ...(request ? { request } : {}), csrf: this.csrf, ...fields })
    if (fields.csrf === '') body.delete('csrf')
    const headers = this.headers({ 'content-type': 'application/x-www-form-urlencoded' })
    return this.keep(await call('POST', path, { body: body.toString(), headers, ip: this.ip, env: this.o.env }))
  }
}

/** The cookie value a response set for `name`, with its attributes. */
export function setCookie(res: Response, name: string): { value: string; attrs: string } | undefined {
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`))
  if (!line) return undefined
  const [pair = '', ...attrs] = line.split(';')
  return { value: pair.slice(name.length + 1), attrs: attrs.join(';').trim() }
}

/** Asserts the 303 to authorize/resume with the same request, and the browser session cookie. */
export function expectSignedIn(res: Response, request: string, o: { prefix?: string; cookie?: string } = {}) {
  expect(res.status).toBe(303)
  expect(res.headers.get('location')).toBe(`${o.prefix ?? ''}/oauth2/authorize/resume?request=${encodeURIComponent(request)}`)
  const cookie = setCookie(res, o.cookie ?? '__Host-edge-auth')
  expect(cookie?.attrs).toMatch(/HttpOnly/)
  expect(cookie?.attrs).toMatch(/Secure/)
  expect(cookie?.attrs).toMatch(/SameSite=Lax/)
  expect(cookie?.attrs).toMatch(/Path=\//)
  expect(cookie?.attrs).toMatch(/Max-Age=2592000/)
  return cookie?.value as string
}
