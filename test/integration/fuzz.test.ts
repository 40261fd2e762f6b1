import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { STAFF_ROLES } from '../../src/config'
import { ERRORS } from '../../src/errors'
import { call, json } from '../helpers/app'
import { logIn, signUp } from '../helpers/factories'
import {
  contentTypeArb,
  formArb,
  jsonTextArb,
  queryArb,
  RAW_SEGMENTS,
  rawBodies,
  segmentArb,
  shapedObjectArb,
} from '../helpers/fuzz'
import { openApiChecker } from '../helpers/openapi'
import { newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin, type Staff, staffLogin } from '../helpers/staff'

/**
 * Every endpoint of the OpenAPI document gets hostile input (issue 6): the service must never
 * answer 5xx (but a provider's 503), every error has the spec's body, nothing internal leaks,
 * and D1 stays consistent. Runs per endpoint are kept moderate so the file stays well under a minute.
 */
const RUNS = 25

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is read loosely
type Doc = any
const doc: Doc = await json(await call('GET', '/api/v1/openapi.json'))
/** Every answer must also be what the document says (SPEC §3): status, content type, body, headers. */
const documented = openApiChecker(doc)

interface Endpoint {
  key: string
  method: string
  path: string
  json: boolean
  form: boolean
  fields: string[]
  query: string[]
}

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI schema objects
function fieldsOf(schema: any, seen = new Set<unknown>()): string[] {
  if (!schema || seen.has(schema)) return []
  seen.add(schema)
  if (schema.$ref) return fieldsOf(doc.components.schemas[String(schema.$ref).split('/').pop() as string], seen)
  const own = Object.keys(schema.properties ?? {})
  // biome-ignore lint/suspicious/noExplicitAny: OpenAPI schema objects
  const nested = [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap((s: any) =>
    fieldsOf(s, seen),
  )
  return [...new Set([...own, ...nested])]
}

const ENDPOINTS: Endpoint[] = Object.entries<Record<string, Doc>>(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => {
    const content = op.requestBody?.content ?? {}
    const schema = content['application/json']?.schema ?? content['application/x-www-form-urlencoded']?.schema
    return {
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      json: 'application/json' in content,
      form: 'application/x-www-form-urlencoded' in content,
      fields: fieldsOf(schema),
      // biome-ignore lint/suspicious/noExplicitAny: OpenAPI parameter objects
      query: (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name as string),
    }
  }),
)

/** The token endpoint of any pool, as the request URL reaches it (`/pools/./auth/token` does not: it is pool `auth`'s `/token`). */
const TOKEN_ENDPOINT =
  /^(?:\/api\/v1(?:\/pools\/[^/]*)?\/auth\/token|(?:\/pools\/[^/]*)?\/oauth2\/(?:token|userinfo|revoke|introspect))$/
/** The OpenID Provider's userinfo (SPEC §15): its 401 is RFC 6750's `invalid_token` (or `invalid_request` without a token). */
const USERINFO = /\/oauth2\/userinfo$/
const reachesTokenEndpoint = (r: { path: string }) => TOKEN_ENDPOINT.test(new URL(`http://localhost${r.path}`).pathname)
/** A pool's endpoint (SPEC §12) answers as the same endpoint of `default` (a `..` pool segment even reaches it). */
const generic = (keyOrPath: string) => keyOrPath.replace('/api/v1/pools/{pool}/', '/api/v1/')
/** Pages answer HTML, also when they refuse (SPEC §6.6). */
const PAGES = new Set([
  'GET /api/v1/auth/email/verify',
  'POST /api/v1/auth/email/verify',
  'GET /api/v1/auth/email/reset',
  'POST /api/v1/auth/email/reset',
])
/** A 2xx here ends the caller's session: the fuzz signs in again. */
const SESSION_ENDING = new Set([
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/change-password',
  'DELETE /api/v1/me',
  'DELETE /api/v1/me/sessions',
  'DELETE /api/v1/me/sessions/{id}',
])

type Auth = 'none' | 'user' | 'admin' | 'garbage' | 'basic'
const AUTHS: Auth[] = ['none', 'user', 'admin', 'garbage', 'basic']

interface FuzzRequest {
  path: string
  query: string
  body?: string | (() => ReadableStream) | undefined
  contentType?: string | undefined
  auth: Auth
  accept?: string | undefined
}

// One capture for the file: the fuzz signs people up in `beforeAll` and again between tests.
const box = useOutbox({ quietErrors: true, per: 'all' })
let admin: Staff
let user: { phone: string; access_token: string }
/** Every account the fuzz signs in with (it may delete one, or change its password). */
const fuzzPhones: string[] = []
let superAdmins = 0
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort()

async function newSuperAdmin() {
  superAdmins++
  admin = await createSuperAdmin()
}

async function newUser() {
  user = await signUp(box)
  fuzzPhones.push(user.phone)
}

beforeAll(async () => {
  await newSuperAdmin()
  await newUser()
})

/** Signs in again after a request that ended the session; a new account if that one is gone. */
async function renew(auth: Auth) {
  if (auth === 'admin') await staffLogin(admin.username).then((a) => (admin = a), newSuperAdmin)
  if (auth === 'user') await logIn(user.phone).then((u) => (user = u), newUser)
}

function authorization(auth: Auth): string | undefined {
  switch (auth) {
    case 'user':
      return `Bearer ${user.access_token}`
    case 'admin':
      return `Bearer ${admin.access_token}`
    case 'garbage':
      return 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6InN1cGVyX2FkbWluIn0.'
    case 'basic':
      return `Basic ${btoa('root:password')}`
    case 'none':
      return undefined
  }
}

/** Fills the path's parameters with `segments` (in order). */
function fill(path: string, segments: string[]): string {
  let i = 0
  return path.replace(/\{[^}]+\}/g, () => segments[i++ % Math.max(1, segments.length)] ?? 'x')
}

async function send(ep: Endpoint, r: FuzzRequest): Promise<Response> {
  const headers: Record<string, string> = { 'cf-connecting-ip': newIp() }
  if (r.contentType !== undefined) headers['content-type'] = r.contentType
  const auth = authorization(r.auth)
  if (auth) headers.authorization = auth
  if (r.accept) headers.accept = r.accept
  const body = typeof r.body === 'function' ? r.body() : r.body
  const url = `${r.path}${r.query ? `?${r.query}` : ''}`
  const res = await call(ep.method, url, { headers, ...(body !== undefined ? { body } : {}) })
  if (res.status < 300 && SESSION_ENDING.has(generic(ep.key))) await renew(r.auth)
  return res
}

const OAUTH_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'slow_down',
  'invalid_scope',
  'invalid_token',
  'insufficient_scope',
]
const PROBLEM_KEYS = ['type', 'title', 'status', 'error', 'detail', 'fields', 'request_id']
/** A stack frame, or the database's words: never in an answer. */
const STACK = /^\s*at\s|\bat (async )?[\w.$<>]+ \(|\w+\.(ts|js):\d+:\d+/m
const INTERNALS = /\bSELECT\b|\bINSERT\b|sqlite|D1_/i

function describeRequest(ep: Endpoint, r: FuzzRequest): string {
  const body = typeof r.body === 'function' ? '<stream>' : (r.body ?? '<none>')
  return `${ep.method} ${r.path}?${r.query.slice(0, 200)} auth=${r.auth} type=${r.contentType} body=${JSON.stringify(body.slice(0, 300))}`
}

/** Every assertion the fuzz makes about one answer. */
async function check(ep: Endpoint, r: FuzzRequest, res: Response): Promise<void> {
  const text = await res.text()
  const where = () => `${describeRequest(ep, r)}\n→ ${res.status} ${res.headers.get('content-type')} ${text.slice(0, 500)}`
  const fail = (why: string) => {
    throw new Error(`${why}\n${where()}`)
  }
  const requestId = res.headers.get('x-request-id')
  if (!requestId) fail('no X-Request-Id')
  // A hostile segment can make the URL another path, or one the document does not describe.
  const url = `${r.path}${r.query ? `?${r.query}` : ''}`
  if (documented.locate(ep.method, new URL(url, 'http://localhost').pathname)) {
    const contradictions = documented.check(ep.method, url, { status: res.status, headers: res.headers, text })
    if (contradictions.length > 0) fail(`an answer the OpenAPI document does not describe:\n  ${contradictions.join('\n  ')}`)
  }
  if (STACK.test(text)) fail('a stack trace in the body')
  if (/D1_|sqlite/i.test(text)) fail('database internals in the body')
  const type = res.headers.get('content-type') ?? ''

  if (res.status >= 500) {
    const problem = type.startsWith('application/problem+json') ? JSON.parse(text) : {}
    const providerFailed = res.status === 503 && ['sms_delivery_failed', 'email_delivery_failed'].includes(problem.error)
    if (!providerFailed) fail(`a ${res.status}`)
  }
  if (res.status < 400) {
    if (type.startsWith('application/json')) JSON.parse(text)
    return
  }
  if (INTERNALS.test(text)) fail('SQL or database words in an error')

  if (reachesTokenEndpoint(r)) {
    if (!type.startsWith('application/json')) fail('an error of the token endpoint that is not RFC 6749 JSON')
    const body = JSON.parse(text)
    if (!OAUTH_ERRORS.includes(body.error) || typeof body.error_description !== 'string') fail('not an RFC 6749 error')
    if (Object.keys(body).some((k) => k !== 'error' && k !== 'error_description')) fail('extra members in an RFC 6749 error')
    if (res.headers.get('cache-control') !== 'no-store') fail('RFC 6749 error without no-store')
    if ((res.status === 429) !== (body.error === 'slow_down')) fail('slow_down is the 429 of the token endpoint, and only it')
    if (res.status === 429 && !/^\d+$/.test(res.headers.get('retry-after') ?? '')) fail('429 without Retry-After')
    const userinfo = USERINFO.test(new URL(`http://localhost${r.path}`).pathname)
    const unauthorized = userinfo ? ['invalid_token', 'invalid_request'] : ['invalid_client']
    if (
      (res.status === 401) !== (res.status === 401 && unauthorized.includes(body.error)) ||
      (!userinfo && body.error === 'invalid_client' && res.status !== 401)
    ) {
      fail('invalid_client is the 401 of the token endpoint (invalid_token of userinfo)')
    }
    return
  }
  if (type.startsWith('application/problem+json')) {
    const body = JSON.parse(text)
    const extra = Object.keys(body).filter((k) => !PROBLEM_KEYS.includes(k))
    if (extra.length > 0) fail(`unexpected members ${extra.join(', ')}`)
    if (body.type !== 'about:blank' || typeof body.title !== 'string' || typeof body.detail !== 'string') fail('not RFC 9457')
    if (body.status !== res.status) fail('status member differs from the HTTP status')
    if (!(body.error in ERRORS) || ERRORS[body.error as keyof typeof ERRORS] !== res.status) fail('unknown error code')
    if (body.request_id !== requestId) fail('request_id differs from X-Request-Id')
    if (body.fields !== undefined && !Object.values(body.fields).every((v) => typeof v === 'string')) fail('bad fields')
    if (res.status === 429 && !/^\d+$/.test(res.headers.get('retry-after') ?? '')) fail('429 without Retry-After')
    return
  }
  if (PAGES.has(generic(ep.key)) && type.startsWith('text/html') && res.status === 400) {
    if (!/default-src 'none'/.test(res.headers.get('content-security-policy') ?? '')) fail('page without its CSP')
    return
  }
  fail('an error that is not problem+json')
}

function requestArb(ep: Endpoint): fc.Arbitrary<FuzzRequest> {
  const fields = ep.fields
  const withBody = ep.method !== 'GET' && ep.method !== 'HEAD'
  const jsonBody = fc.oneof(
    { weight: 4, arbitrary: shapedObjectArb(fields.length > 0 ? fields : ['a']) },
    { weight: 3, arbitrary: jsonTextArb(fields) },
    { weight: 1, arbitrary: fc.constantFrom(...rawBodies(fields)) },
  )
  const body: fc.Arbitrary<{ body?: string; contentType?: string | undefined }> = !withBody
    ? fc.constant({})
    : ep.form
      ? fc.oneof(
          { weight: 3, arbitrary: formArb(fields).map((b) => ({ body: b, contentType: 'application/x-www-form-urlencoded' })) },
          { weight: 1, arbitrary: fc.tuple(jsonBody, contentTypeArb).map(([b, t]) => ({ body: b, contentType: t })) },
          { weight: 1, arbitrary: formArb(fields).map((b) => ({ body: b, contentType: 'text/plain' })) },
        )
      : fc.tuple(jsonBody, contentTypeArb).map(([b, t]) => ({ body: b, contentType: t }))
  return fc
    .record({
      segments: fc.array(segmentArb, { minLength: 1, maxLength: 2 }),
      query: queryArb(ep.query),
      body,
      auth: fc.constantFrom(...AUTHS),
      accept: fc.constantFrom(undefined, 'application/json', 'text/html', '*/*'),
    })
    .map(({ segments, query, body, auth, accept }) => ({ path: fill(ep.path, segments), query, ...body, auth, accept }))
}

/** The fixed corpus: every raw body and content type, chunked oversize bodies, bad segments and queries. */
function fixedRequests(ep: Endpoint): FuzzRequest[] {
  const base = { path: fill(ep.path, ['x']), query: '' }
  const out: FuzzRequest[] = []
  let n = 0
  const nextAuth = () => AUTHS[n++ % AUTHS.length] as Auth
  if (ep.method !== 'GET') {
    const type = ep.form && !ep.json ? 'application/x-www-form-urlencoded' : 'application/json'
    for (const body of rawBodies(ep.fields)) out.push({ ...base, body, contentType: type, auth: nextAuth() })
    for (const contentType of ['text/plain', 'application/xml', 'multipart/form-data; boundary=xyz', undefined]) {
      out.push({ ...base, body: '{"a":1}', contentType, auth: nextAuth() })
    }
    // 70 KiB streamed without a length (chunked): refused while reading.
    const chunked = () =>
      new ReadableStream({
        start(controller) {
          const chunk = new TextEncoder().encode(`{"a":"${'x'.repeat(7 * 1024)}`)
          for (let i = 0; i < 10; i++) controller.enqueue(chunk)
          controller.close()
        },
      })
    out.push({ ...base, body: chunked, contentType: 'application/json', auth: 'user' })
    if (ep.form) {
      for (const body of [
        'grant_type=password&grant_type=refresh_token',
        '%ZZ=1&a=%',
        '__proto__[polluted]=yes&constructor[prototype][polluted]=yes',
        `grant_type=password&username=${'x'.repeat(70 * 1024)}`,
        '&&&===',
      ]) {
        out.push({ ...base, body, contentType: 'application/x-www-form-urlencoded', auth: nextAuth() })
      }
    }
  } else {
    for (const query of [
      'limit=abc',
      'limit=-1',
      'limit=1e9',
      'limit=1&limit=2',
      'cursor=%',
      `cursor=${'x'.repeat(5000)}`,
      '__proto__[polluted]=1',
      'constructor[prototype][polluted]=1',
      'token=%00',
      `token=${'A'.repeat(100)}`,
      '%ZZ=1',
      'q=%27%20OR%201%3D1',
    ]) {
      out.push({ ...base, query, auth: nextAuth() })
    }
  }
  if (ep.path.includes('{')) {
    for (const segment of RAW_SEGMENTS) out.push({ path: fill(ep.path, [segment]), query: '', auth: nextAuth() })
  }
  return out
}

describe('fuzzing every endpoint of the OpenAPI document', () => {
  it('finds the endpoints in the document', () => {
    expect(ENDPOINTS.length).toBeGreaterThan(40)
    const keys = ENDPOINTS.map((e) => e.key)
    for (const k of ['POST /api/v1/auth/register', 'POST /api/v1/auth/token', 'PATCH /api/v1/users/{id}', 'GET /health']) {
      expect(keys).toContain(k)
    }
  })

  it.each(ENDPOINTS.map((ep) => [ep.key, ep] as const))('%s', async (_key, ep) => {
    for (const r of fixedRequests(ep)) await check(ep, r, await send(ep, r))
    await fc.assert(
      fc.asyncProperty(requestArb(ep), async (r) => {
        await check(ep, r, await send(ep, r))
      }),
      { numRuns: RUNS },
    )
  })

  it('leaves no unhandled error in the log', () => {
    const unhandled = box.errorLines().filter((line) => line.includes('unhandled error'))
    expect(unhandled).toEqual([])
  })

  it('leaves Object.prototype unpolluted', () => {
    // biome-ignore lint/suspicious/noExplicitAny: probing for pollution
    expect(({} as any).polluted).toBeUndefined()
    // biome-ignore lint/suspicious/noExplicitAny: probing for pollution
    expect(({} as any).role).toBeUndefined()
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore)
  })

  it('leaves D1 consistent', async () => {
    const orphan = await env.DB.prepare(
      'SELECT count(*) AS n FROM users WHERE phone IS NULL AND email IS NULL AND username IS NULL',
    ).first<number>('n')
    expect(orphan).toBe(0)
    const all = (await env.DB.prepare('SELECT DISTINCT role FROM users').all<{ role: string }>()).results.map((r) => r.role)
    const allowed: string[] = [...STAFF_ROLES, 'particulier']
    expect(all.filter((r) => !allowed.includes(r))).toEqual([])
    const statuses = (await env.DB.prepare('SELECT DISTINCT status FROM users').all<{ status: string }>()).results
    expect(statuses.map((s) => s.status).filter((s) => !['pending', 'active', 'deactivated', 'suspended'].includes(s))).toEqual(
      [],
    )
    // Nobody was promoted: the fuzzing users are still end users, and no super admin appeared.
    const roles = await env.DB.prepare('SELECT DISTINCT role FROM users WHERE phone IN (SELECT value FROM json_each(?))')
      .bind(JSON.stringify(fuzzPhones))
      .all<{ role: string }>()
    expect(roles.results.map((r) => r.role).filter((r) => r !== 'particulier')).toEqual([])
    const supers = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE role = 'super_admin'").first<number>('n')
    expect(supers).toBeLessThanOrEqual(superAdmins)
    // Every session and device belongs to an existing user.
    const dangling = await env.DB.prepare(
      'SELECT (SELECT count(*) FROM sessions WHERE user_id NOT IN (SELECT id FROM users)) + (SELECT count(*) FROM devices WHERE user_id NOT IN (SELECT id FROM users)) AS n',
    ).first<number>('n')
    expect(dangling).toBe(0)
  })
})
