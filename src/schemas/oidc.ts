import { z } from '@hono/zod-openapi'

/** RFC 6749 §5.2 errors of the OpenID Provider's endpoints (SPEC §15), and RFC 6750 §3.1's of userinfo. */
export const OidcErrorResponse = z
  .object({
    error: z
      .enum([
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'invalid_scope',
        'invalid_token',
        'insufficient_scope',
        'slow_down',
        'server_error',
        'temporarily_unavailable',
      ])
      .openapi({ description: 'RFC 6749 §5.2, RFC 6750 §3.1; slow_down (RFC 8628) with 429, server_error with 500' }),
    error_description: z.string(),
  })
  .openapi('OidcError')

export const ProviderMetadata = z
  .looseObject({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    userinfo_endpoint: z.string(),
    jwks_uri: z.string(),
    end_session_endpoint: z.string(),
    revocation_endpoint: z.string(),
    introspection_endpoint: z.string(),
    response_types_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
    id_token_signing_alg_values_supported: z.array(z.string()),
  })
  .openapi('ProviderMetadata')

const ClientAuth = {
  client_id: z.string().optional().openapi({ description: 'client_secret_post and none (public clients)' }),
  client_secret: z.string().optional().openapi({ description: 'client_secret_post; or HTTP Basic (client_secret_basic)' }),
}

export const OidcTokenForm = z
  .object({
    grant_type: z.enum(['authorization_code', 'refresh_token', 'client_credentials']),
    code: z.string().optional(),
    redirect_uri: z.string().optional(),
    code_verifier: z.string().optional().openapi({ description: 'PKCE (RFC 7636), S256' }),
    refresh_token: z.string().optional(),
    scope: z.string().optional(),
    ...ClientAuth,
  })
  .openapi('OidcTokenForm')

export const OidcTokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    refresh_token: z.string().optional(),
    id_token: z.string().optional(),
    scope: z.string(),
  })
  .openapi('OidcTokenResponse')

export const TokenForm = z
  .object({ token: z.string(), token_type_hint: z.enum(['access_token', 'refresh_token']).optional(), ...ClientAuth })
  .openapi('OidcTokenParameter')

export const IntrospectionResponse = z
  .looseObject({
    active: z.boolean(),
    token_type: z.string().optional(),
    client_id: z.string().optional(),
    scope: z.string().optional(),
    sub: z.string().optional(),
    exp: z.number().int().optional(),
    iat: z.number().int().optional(),
  })
  .openapi('IntrospectionResponse')

export const UserinfoResponse = z.looseObject({ sub: z.string() }).openapi('Userinfo')
