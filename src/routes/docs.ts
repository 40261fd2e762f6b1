import { type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { AppError } from '../errors'
import { ErrorResponse, jsonContent } from '../schemas/fields'
import { describeAnswers } from './openapi-document'
import { newRouter } from './router'

/**
 * The reference pages' CSP (SPEC §6.7): scripts only from this origin (the bundles and their init
 * files under /api/v1/assets/, no inline script), data only from this origin. Styles allow
 * 'unsafe-inline' because both renderers inject theirs at run time (Scalar's style element,
 * ReDoc's styled-components); ReDoc runs its search index in a blob: worker.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const ASSETS = '/api/v1/assets'

/** A reference page: its renderer's bundle and its init file, both served by this Worker. */
const referencePage = (title: string, container: string, scripts: string[]) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
</head>
<body>
<noscript>This reference needs JavaScript. The raw OpenAPI document is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
${container}
${scripts.map((s) => `<script src="${ASSETS}/${s}"></script>`).join('\n')}
</body>
</html>`

const SCALAR_PAGE = referencePage('edge-auth API reference', '<div id="app"></div>', [
  'vendor/scalar-api-reference.js',
  'docs-init.js',
])
const REDOC_PAGE = referencePage('edge-auth API reference (ReDoc)', '<div id="redoc"></div>', [
  'vendor/redoc.standalone.js',
  'redoc-init.js',
])

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } })
const OpenApiDocument = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.looseObject({}) })
  .openapi('OpenApiDocument')

/** Documents what docsRoutes and the root answer (the common answers are added by describeAnswers). */
function documentSelf(app: OpenAPIHono<AppEnv>) {
  const tags = ['service']
  const reg = (path: string, summary: string, ok: object) =>
    app.openAPIRegistry.registerPath({ method: 'get', path, tags, summary, responses: { 200: ok } })
  reg('/', 'Name and version of the service', jsonContent(z.object({ name: z.string(), version: z.string() }), 'The service'))
  reg('/api/v1/openapi.json', 'This OpenAPI 3.1 document', jsonContent(OpenApiDocument, 'The document'))
  reg('/api/v1/docs', 'Interactive API reference (Scalar), served with its assets by the Worker', html('The page'))
  reg('/api/v1/redoc', 'The same document as a ReDoc page', html('The page'))
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: `${ASSETS}/{path}`,
    tags,
    summary: 'The reference pages’ scripts (Workers static assets of public/)',
    request: { params: z.object({ path: z.string().openapi({ example: 'docs-init.js' }) }) },
    responses: {
      200: { description: 'The file', content: { 'text/javascript': { schema: z.string() } } },
      304: { description: 'Not modified (If-None-Match matched its ETag)' },
      404: { description: 'No such file: `not_found`', content: { 'application/problem+json': { schema: ErrorResponse } } },
    },
  })
}

/** Serves a file of the `[assets]` directory (wrangler.toml) through the Worker; 404 `not_found` otherwise. */
async function asset(c: Context<AppEnv>) {
  const path = c.req.path.slice(ASSETS.length)
  // Only plain file names reach the binding (it throws on some escapes; there is nothing else to serve).
  if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(path)) throw new AppError('not_found', 'No such asset')
  const res = await c.env.ASSETS.fetch(new Request(new URL(path, c.req.url), { headers: c.req.raw.headers }))
  if (res.status !== 200 && res.status !== 304) throw new AppError('not_found', 'No such asset')
  // A copy: the binding's headers are immutable, and the app's middleware adds its own.
  const headers = new Headers(res.headers)
  headers.set('cache-control', 'public, max-age=3600')
  return new Response(res.status === 304 ? null : res.body, { status: res.status, headers })
}

/**
 * `/api/v1/openapi.json`, generated from the zod schemas that validate requests (then completed
 * by describeAnswers), and two renderings of it, `/api/v1/docs` (Scalar) and `/api/v1/redoc`,
 * whose every script is served by this Worker (SPEC §6.7).
 */
export function docsRoutes(app: OpenAPIHono<AppEnv>, version: string) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  // Lets the reference page sign in through the OAuth 2.0 password grant of /auth/token.
  app.openAPIRegistry.registerComponent('securitySchemes', 'oauth2', {
    type: 'oauth2',
    flows: { password: { tokenUrl: '/api/v1/auth/token', refreshUrl: '/api/v1/auth/token', scopes: {} } },
  })
  documentSelf(app)
  let document: object | undefined
  const docs = newRouter()
  docs.get('/openapi.json', (c) => {
    document ??= describeAnswers(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'edge-auth',
          version,
          description: 'Phone-first authentication and identity service on Cloudflare Workers.',
        },
      }),
    )
    return c.json(document)
  })
  const page = (body: string) => (c: Context<AppEnv>) => c.html(body, 200, { 'content-security-policy': DOCS_CSP })
  docs.get('/docs', page(SCALAR_PAGE))
  docs.get('/redoc', page(REDOC_PAGE))
  docs.get('/assets/*', asset)
  return docs
}
