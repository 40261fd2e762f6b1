import type { OpenAPIHono } from '@hono/zod-openapi'
import { Hono } from 'hono'
import { POOL_ID } from '../config'
import type { AppEnv } from '../env'

const SCALAR = 'https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.34.6/dist/browser/standalone.js'

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-auth API reference</title>
</head>
<body>
<noscript>This reference needs JavaScript. The raw OpenAPI document is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
<script id="api-reference" data-url="/api/v1/openapi.json"></script>
<script src="${SCALAR}"></script>
</body>
</html>`

type Document = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>

const POOL_PARAMETER = {
  name: 'pool',
  in: 'path' as const,
  required: true,
  description: 'A user pool of USER_POOLS (SPEC §12); an unknown pool is 404 `not_found`',
  schema: { type: 'string' as const, pattern: POOL_ID.source, example: 'user1' },
}

const NOT_FOUND = {
  description: 'Not found (an unknown user pool among others)',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Error' } } },
}

/**
 * The `/pools/{pool}/…` routes are the default pool's routers mounted again (app.ts): their
 * operations gain the `pool` path parameter, and the 404 an unknown pool answers.
 */
function withPoolParameter(doc: Document): Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.includes('{pool}') || !item) continue
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head'] as const) {
      const op = item[method]
      if (!op) continue
      op.parameters = [POOL_PARAMETER, ...(op.parameters ?? [])]
      if (op.responses && !op.responses['404']) op.responses['404'] = NOT_FOUND
    }
  }
  return doc
}

/**
 * `/api/v1/openapi.json`, generated from the zod schemas that validate requests, and
 * `/api/v1/docs`, an interactive reference (Scalar, loaded from a pinned CDN URL).
 */
export function docsRoutes(app: OpenAPIHono<AppEnv>, version: string) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  // Lets the reference page sign in through the OAuth 2.0 password grant of /auth/token.
  app.openAPIRegistry.registerComponent('securitySchemes', 'oauth2', {
    type: 'oauth2',
    flows: { password: { tokenUrl: '/api/v1/auth/token', refreshUrl: '/api/v1/auth/token', scopes: {} } },
  })
  const docs = new Hono<AppEnv>()
  docs.get('/openapi.json', (c) =>
    c.json(
      withPoolParameter(
        app.getOpenAPI31Document({
          openapi: '3.1.0',
          info: {
            title: 'edge-auth',
            version,
            description: 'Phone-first authentication and identity service on Cloudflare Workers.',
          },
        }),
      ),
    ),
  )
  docs.get('/docs', (c) => {
    c.header(
      'content-security-policy',
      "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; style-src https://cdn.jsdelivr.net 'unsafe-inline'; font-src https://cdn.jsdelivr.net data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    return c.html(PAGE)
  })
  return docs
}
