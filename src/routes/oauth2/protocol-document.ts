import { type OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../../env'
import { jsonContent, SECURITY } from '../../schemas/fields'
import {
  IntrospectionResponse,
  OidcErrorResponse,
  OidcTokenForm,
  OidcTokenResponse,
  ProviderMetadata,
  TokenForm,
  UserinfoResponse,
} from '../../schemas/oidc'

const tags = ['openid-connect']
const form = <T>(schema: T, required = true) => ({
  body: { required, content: { 'application/x-www-form-urlencoded': { schema } } },
})
const oauthError = (description: string) => jsonContent(OidcErrorResponse, description)
const basicChallenge = {
  'WWW-Authenticate': {
    schema: { type: 'string' as const },
    description: '`Basic realm="edge-auth"` when the client authenticated with HTTP Basic',
  },
}
const bearerChallenge = {
  'WWW-Authenticate': { schema: { type: 'string' as const, pattern: '^Bearer\\b' }, description: 'RFC 6750 §3' },
}
/** The answers every client-authenticated endpoint shares. */
const clientErrors = {
  400: oauthError('RFC 6749 error: `invalid_request` (a missing or repeated parameter) among others'),
  401: {
    ...oauthError('`invalid_client`: unknown client, wrong secret, or a confidential client without one'),
    headers: basicChallenge,
  },
  404: oauthError('`invalid_request`: the OpenID provider is off (JWT_ISSUER is not this Worker’s origin), or an unknown pool'),
}

/** The JSON endpoints of the OpenID Provider (SPEC §15) in the OpenAPI document; describeAnswers adds the shared answers. */
export function documentProtocol(r: OpenAPIHono<AppEnv>) {
  const reg = r.openAPIRegistry
  reg.registerPath({
    method: 'get',
    path: '/.well-known/openid-configuration',
    tags,
    summary: 'OpenID Connect discovery: the provider metadata of this pool (RFC 8414 fields too)',
    responses: {
      200: jsonContent(ProviderMetadata, 'The metadata'),
      404: {
        description: 'The OpenID provider is off (JWT_ISSUER is not this Worker’s origin): `not_found`',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  })
  reg.registerPath({
    method: 'post',
    path: '/oauth2/token',
    tags,
    summary: 'Token endpoint: authorization_code (PKCE S256), refresh_token (rotation), client_credentials',
    description:
      'Client authentication: client_secret_basic, client_secret_post, or none (public clients). Every error, limits included, is an RFC 6749 `{ error, error_description }`. A code used twice is `invalid_grant` and revokes the session its first use opened.',
    request: form(OidcTokenForm),
    responses: {
      200: jsonContent(OidcTokenResponse, 'Tokens (an ID token when the scope has openid)'),
      ...clientErrors,
      429: oauthError('`slow_down`: the per-IP refresh limit'),
    },
  })
  for (const method of ['get', 'post'] as const) {
    reg.registerPath({
      method,
      path: '/oauth2/userinfo',
      tags,
      security: SECURITY,
      summary: 'OpenID Connect userinfo: the claims of the scopes granted to the access token’s client',
      ...(method === 'post'
        ? {
            request: form(
              z.object({
                access_token: z
                  .string()
                  .optional()
                  .openapi({ description: 'Refused (400 invalid_request): the token goes in the Authorization header' }),
              }),
              false,
            ),
          }
        : {}),
      responses: {
        200: jsonContent(UserinfoResponse, 'The claims'),
        400: oauthError('`invalid_request`: the access token sent as a parameter (only the Authorization header is taken)'),
        401: {
          ...oauthError('`invalid_token` (or no token): only access tokens of OAuth sessions with openid'),
          headers: bearerChallenge,
        },
        403: { ...oauthError('`insufficient_scope`: the token was not granted openid'), headers: bearerChallenge },
        404: clientErrors[404],
      },
    })
  }
  reg.registerPath({
    method: 'post',
    path: '/oauth2/revoke',
    tags,
    summary: 'Token revocation (RFC 7009): a refresh or access token of the client; its session ends',
    request: form(TokenForm),
    responses: { 200: { description: 'Revoked, or unknown (the same answer)' }, ...clientErrors },
  })
  reg.registerPath({
    method: 'post',
    path: '/oauth2/introspect',
    tags,
    summary: 'Token introspection (RFC 7662): active is false at once for a revoked session',
    request: form(TokenForm),
    responses: { 200: jsonContent(IntrospectionResponse, 'Whether the token is active, and its claims'), ...clientErrors },
  })
}
