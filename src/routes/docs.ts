import type { OpenAPIHono } from '@hono/zod-openapi'
import { Hono } from 'hono'
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
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'edge-auth',
          version,
          description: 'Phone-first authentication and identity service on Cloudflare Workers.',
        },
      }),
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
