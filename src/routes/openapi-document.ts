import type { OpenAPIHono } from '@hono/zod-openapi'
import { POOL_ID } from '../config'
import type { AppEnv } from '../env'
import { REQUEST_LIMITS } from '../services/limits'

type Document = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>
type Operation = NonNullable<NonNullable<Document['paths']>[string]['get']>
type Responses = NonNullable<Operation['responses']>

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const
const WITH_BODY = new Set(['put', 'post', 'delete', 'patch'])
const ref = (kind: 'headers' | 'responses' | 'schemas', name: string) => ({ $ref: `#/components/${kind}/${name}` })

/** The response headers SPEC §3 names, as components every operation refers to. */
const HEADERS = {
  'X-Request-Id': {
    description: 'On every response: the request’s valid incoming X-Request-Id echoed, else a generated one',
    required: true,
    schema: { type: 'string', minLength: 1 },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (at least 1)',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'Retry-After-Optional': {
    description: 'Seconds to wait before retrying, when the service knows',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  Allow: {
    description: 'The methods this path serves',
    required: true,
    schema: { type: 'string', pattern: '^[A-Z]+(, [A-Z]+)*$' },
  },
  'WWW-Authenticate': {
    description:
      'The Bearer challenge of a protected endpoint (RFC 6750 §3): `error="invalid_token"` when a token was refused, `insufficient_scope` on a 403',
    schema: { type: 'string', pattern: '^Bearer\\b' },
  },
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('schemas', 'Error') } },
})

/** Error answers many operations share, with the headers each carries. */
const RESPONSES = {
  MethodNotAllowed: {
    ...problem('This path does not serve the method sent (never this operation’s own method): `method_not_allowed`'),
    headers: { Allow: ref('headers', 'Allow') },
  },
  PayloadTooLarge: problem('A body over 64 KiB, chunked ones included: `payload_too_large`'),
  UnsupportedMediaType: problem('A body in a content type this operation does not take: `unsupported_media_type`'),
  InternalError: problem('A failure on the service’s side: `internal_error`, without details'),
  RateLimited: problem('Too many requests from this address (`rate_limited`), or another limit of the operation'),
  NotFound: problem('Not found (an unknown user pool among others): `not_found`'),
}

const POOL_PARAMETER = {
  name: 'pool',
  in: 'path' as const,
  required: true,
  description: 'A user pool of USER_POOLS (SPEC §12); an unknown pool is 404 `not_found`',
  schema: { type: 'string' as const, pattern: POOL_ID.source, example: 'user1' },
}

const API = '/api/v1'
/** Whether the per-IP request limit of services/limits REQUEST_LIMITS counts `METHOD path` (a document path). */
function requestLimited(method: string, path: string): boolean {
  const route = path
    .replace(/^\/api\/v1\/pools\/\{pool\}/, API)
    .slice(API.length)
    .replace(/\{([^}]+)\}/g, ':$1')
  const limit = (REQUEST_LIMITS as Record<string, { group: string | null }>)[`${method.toUpperCase()} ${route}`]
  return Boolean(limit?.group)
}

/** A query parameter, or a path parameter with a constraint its validator checks (a pool is 404, not 400). */
function validated(p: object): boolean {
  if (!('in' in p) || ('name' in p && p.name === 'pool')) return false
  const schema = ('schema' in p ? p.schema : {}) as Record<string, unknown>
  return p.in === 'query' || ['pattern', 'format', 'enum', 'minLength', 'maxLength'].some((k) => k in schema)
}

/**
 * The content of an operation's own error format, when its 400 is not problem+json: the token
 * endpoint answers every refusal, the middleware's included, as an RFC 6749 `{ error,
 * error_description }` (render-error.ts), so its shared answers are documented in that format.
 */
function ownErrorContent(responses: Responses): Record<string, unknown> | undefined {
  // The OpenID Provider's endpoints (SPEC §15) answer the same way; userinfo's first error is its 401.
  const declared = responses[400] ?? responses[401]
  if (!declared || '$ref' in declared || !declared.content || 'application/problem+json' in declared.content) return undefined
  return declared.content
}

/** The RFC 6749 code render-error.ts answers in place of each shared answer. */
const OAUTH_DESCRIPTIONS: Record<keyof typeof RESPONSES, string> = {
  MethodNotAllowed: 'This path does not serve the method sent: `invalid_request`',
  PayloadTooLarge: 'A body over 64 KiB: `invalid_request`',
  UnsupportedMediaType: 'A body that is not a form: `invalid_request`',
  InternalError: 'A failure on the service’s side: `server_error`, without details',
  RateLimited: 'Too many requests: `slow_down`',
  NotFound: 'An unknown user pool: `invalid_request`',
}

/** Adds `status` (a shared response) unless the route documents its own. */
function add(responses: Responses, status: number, name: keyof typeof RESPONSES) {
  if (responses[status]) return
  const own = ownErrorContent(responses)
  responses[status] = own
    ? ({ ...RESPONSES[name], description: OAUTH_DESCRIPTIONS[name], content: { ...own } } as Responses[number])
    : ref('responses', name)
}

/** Every answer an operation can get from the app's common middleware and error renderer. */
function completeOperation(method: string, path: string, op: Operation) {
  op.responses ??= {}
  const responses = op.responses
  const hasBody = WITH_BODY.has(method)
  const takesBody = op.requestBody !== undefined
  // Malformed JSON is refused on any body-carrying request (middleware/body.ts, problem+json,
  // before any route), validation wherever there is input.
  if (hasBody || takesBody || (op.parameters ?? []).some(validated)) {
    responses[400] ??= problem('`validation_error` or `invalid_json`')
  }
  if (hasBody) add(responses, 413, 'PayloadTooLarge')
  if (takesBody) add(responses, 415, 'UnsupportedMediaType')
  if ((op.security ?? []).length > 0) responses[401] ??= problem('No access token, or a refused one')
  if (requestLimited(method, path)) add(responses, 429, 'RateLimited')
  if (path.includes('{pool}')) {
    op.parameters = [POOL_PARAMETER, ...(op.parameters ?? []).filter((p) => !('name' in p && p.name === 'pool'))]
    add(responses, 404, 'NotFound')
  }
  add(responses, 405, 'MethodNotAllowed')
  add(responses, 500, 'InternalError')
  for (const [status, response] of Object.entries(responses)) {
    if ('$ref' in response) continue
    const headers: Record<string, unknown> = { ...response.headers, 'X-Request-Id': ref('headers', 'X-Request-Id') }
    if (status === '429') headers['Retry-After'] = ref('headers', 'Retry-After')
    if (status === '503') headers['Retry-After'] ??= ref('headers', 'Retry-After-Optional')
    // RFC 6750 §3: the Bearer challenge of a refused token (401), or of a missing permission (403).
    const challenged = status === '401' || status === '403'
    if (challenged && (op.security ?? []).length > 0) headers['WWW-Authenticate'] = ref('headers', 'WWW-Authenticate')
    response.headers = headers as typeof response.headers
  }
}

/**
 * Completes the generated document so it describes what the service really answers (SPEC §3):
 * the common error answers of the middleware (400 on input, 413 and 415 on bodies, 401 on signed-in
 * routes, 429 where REQUEST_LIMITS counts, 405 with Allow, 500) and the headers X-Request-Id,
 * Retry-After, Allow and WWW-Authenticate; the `/pools/{pool}/…` routes (the default pool's
 * routers mounted again, app.ts) gain the `pool` parameter and its 404. Route-specific answers
 * stay declared on the routes; a status a route declares is never replaced.
 */
export function describeAnswers(doc: Document): Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method]
      if (op) completeOperation(method, path, op)
    }
  }
  doc.components ??= {}
  const components = doc.components
  components.headers = { ...components.headers, ...(HEADERS as NonNullable<typeof components.headers>) }
  const shared: Record<string, object> = {}
  for (const [name, r] of Object.entries(RESPONSES)) {
    const headers: Record<string, object> = {
      ...('headers' in r ? r.headers : {}),
      'X-Request-Id': ref('headers', 'X-Request-Id'),
    }
    if (name === 'RateLimited') headers['Retry-After'] = ref('headers', 'Retry-After')
    shared[name] = { ...r, headers }
  }
  components.responses = { ...components.responses, ...(shared as NonNullable<typeof components.responses>) }
  return doc
}
