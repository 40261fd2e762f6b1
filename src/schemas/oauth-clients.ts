import { z } from '@hono/zod-openapi'
import { POOL_ID } from '../config'
import {
  CLIENT_SCOPES,
  CLIENT_TYPES,
  DEFAULT_GRANT_TYPES,
  DEFAULT_SCOPES,
  GRANT_TYPES,
  ID_TOKEN_ALGS,
  MAX_REDIRECT_URI_LENGTH,
  MAX_REDIRECT_URIS,
  redirectUriProblem,
} from '../services/oauth-clients'
import { listOf, PageQuery, USER_ID } from './iam'

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

const ClientName = z
  .string()
  .trim()
  .min(1, 'Must be 1–100 characters')
  .max(100, 'Must be 1–100 characters')
  .refine((s) => !CONTROL.test(s), 'Must not contain control characters')
  .openapi({ example: 'Solar dashboard', description: 'Shown to users on the sign-in and consent pages' })

const RedirectUri = z
  .string()
  .min(1)
  .max(MAX_REDIRECT_URI_LENGTH)
  .superRefine((uri, ctx) => {
    const problem = redirectUriProblem(uri)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .openapi({ example: 'https://app.example.tn/callback' })

const redirectUris = (description: string) =>
  z
    .array(RedirectUri)
    .max(MAX_REDIRECT_URIS)
    .openapi({
      description: `${description} Matched as exact strings. Absolute, no fragment, no wildcard, at most ${MAX_REDIRECT_URI_LENGTH} characters; https, http only to localhost, 127.0.0.1 or [::1] (any port), private-use schemes such as com.example.app:/callback (RFC 8252) for public clients only.`,
    })

const RedirectUris = redirectUris(
  'Where /oauth2/authorize may send the code (0–20; at least one with the authorization_code grant).',
)
const PostLogoutRedirectUris = redirectUris('Where /oauth2/end_session may send the browser after logout (0–20).')

const GrantTypes = z.array(z.enum(GRANT_TYPES)).min(1).max(10).openapi({
  description:
    'client_credentials for confidential clients only; refresh_token needs authorization_code. Duplicates are dropped.',
})

const Scopes = z
  .array(z.enum(CLIENT_SCOPES))
  .min(1)
  .max(20)
  .openapi({
    description: `The scopes the client may ask for, among ${CLIENT_SCOPES.join(', ')}. Duplicates are dropped.`,
  })

const FirstParty = z.boolean().openapi({ description: 'A first-party client skips the consent screen' })
const IdTokenAlg = z.enum(ID_TOKEN_ALGS).openapi({ description: 'How its ID tokens are signed' })
const UserId = z
  .string()
  .regex(USER_ID, 'Must be a user id')
  .nullable()
  .openapi({
    description:
      'Confidential clients with client_credentials only: the active staff account of role client or subclient ' +
      '(default pool) whose identity and permissions its tokens carry; null: the token’s subject is the client itself.',
  })

export const OauthClientBody = z
  .strictObject({
    name: ClientName,
    type: z.enum(CLIENT_TYPES).openapi({
      description: 'confidential: a server that keeps a secret; public: a SPA or native app (no secret). Never changes.',
    }),
    redirect_uris: RedirectUris,
    post_logout_redirect_uris: PostLogoutRedirectUris.optional(),
    grant_types: GrantTypes.default([...DEFAULT_GRANT_TYPES]),
    scopes: Scopes.default([...DEFAULT_SCOPES]),
    pool: z.string().regex(POOL_ID, 'Must be a pool id').default('default').openapi({
      description: 'The user pool whose users sign in to it (its issuer, SPEC §12); an unknown pool: 400. Never changes.',
    }),
    first_party: FirstParty.default(false),
    id_token_signed_response_alg: IdTokenAlg.default('RS256'),
    user_id: UserId.optional(),
  })
  .openapi('OauthClientBody')

export const OauthClientPatchBody = z
  .strictObject({
    name: ClientName.optional(),
    redirect_uris: RedirectUris.optional(),
    post_logout_redirect_uris: PostLogoutRedirectUris.optional(),
    grant_types: GrantTypes.optional(),
    scopes: Scopes.optional(),
    first_party: FirstParty.optional(),
    id_token_signed_response_alg: IdTokenAlg.optional(),
    user_id: UserId.optional(),
  })
  .openapi('OauthClientPatchBody', { description: '`type` and `pool` never change (400): register a new client instead.' })

export const OauthClientResponse = z
  .object({
    client_id: z.string(),
    name: z.string(),
    type: z.enum(CLIENT_TYPES),
    pool: z.string(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(z.enum(GRANT_TYPES)),
    scopes: z.array(z.enum(CLIENT_SCOPES)),
    first_party: z.boolean(),
    id_token_signed_response_alg: z.enum(ID_TOKEN_ALGS),
    user_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    secret_rotated_at: z.string().nullable().openapi({ description: 'When the secret was last rotated; null: never' }),
  })
  .openapi('OauthClient')

const ClientSecret = z.string().openapi({
  description: 'Shown this once: only its SHA-256 is stored. Send it with client_secret_basic or client_secret_post.',
})

export const OauthClientCreated = OauthClientResponse.extend({
  client_secret: ClientSecret.optional().openapi({ description: 'Confidential clients only; shown this once' }),
}).openapi('OauthClientCreated')

export const OauthClientList = listOf(OauthClientResponse, 'OauthClientList')

export const ClientSecretResponse = z.object({ client_secret: ClientSecret }).openapi('ClientSecret')

export const ClientIdParam = z.object({ client_id: z.string().min(1).max(64) })

export const OauthClientsQuery = PageQuery.extend({
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Must be a next_cursor from a previous page')
    .optional(),
  pool: z
    .string()
    .regex(POOL_ID)
    .optional()
    .openapi({ description: "One user pool's clients; every pool's when absent. An unknown pool: 404" }),
})
