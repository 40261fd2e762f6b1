import { requireLiveSession } from '../middleware/auth'
import { errorResponses, jsonBody, jsonContent } from '../schemas/fields'
import {
  AddPasskeyBody,
  CreationOptions,
  Passkey,
  PasskeyIdParam,
  PasskeyList,
  PasskeySignInOptionsBody,
  PasskeyVerifyBody,
  RenamePasskeyBody,
  RequestOptions,
} from '../schemas/passkeys'
import { TokenResponse } from '../schemas/user'
import { addPasskey, listPasskeys, passkeyCreationOptions, removePasskey, renamePasskey } from '../services/passkeys'
import { passkeySignInOptions, verifyPasskeySignIn } from '../services/sign-in'
import { clientInfo, NO_STORE, newRouter, routesOf } from './router'

// SPEC §14 passkeys. Two routers: `/me/passkeys`, mounted inside the `me` router (whose
// middleware has authenticated the caller), and `/auth/passkey`, inside `auth` (its per-IP limits).

const me = routesOf(['me'])
const auth = routesOf(['auth'])

/** `/me/passkeys`: enrol, list, rename, delete. Mounted by routes/me.ts, after its `requireAuth`. */
export const mePasskeys = newRouter()
  .openapi(
    me.signedIn('post', '/options', {
      summary: 'Creation options for a new passkey (navigator.credentials.create); the challenge lives 5 minutes',
      responses: { 200: jsonContent(CreationOptions, 'PublicKeyCredentialCreationOptionsJSON'), ...errorResponses(401, 403) },
    }),
    async (c) => c.json(await passkeyCreationOptions(c.var.deps, c.var.auth.userId), 200, NO_STORE),
  )
  .openapi(
    me.signedIn('post', '/', {
      // Adding a way to sign in is sensitive: the service checks the session is live in D1 and recent.
      summary: "Register a passkey: the new credential's toJSON(), answering the options' challenge",
      description: "Only within 5 minutes of signing in (the session's auth_time): 403 `reauthentication_required` otherwise.",
      request: { body: jsonBody(AddPasskeyBody) },
      responses: { 201: jsonContent(Passkey, 'The passkey'), ...errorResponses(400, 401, 403, 409, 413, 415) },
    }),
    async (c) => {
      const { credential, name } = c.req.valid('json')
      return c.json(await addPasskey(c.var.deps, c.var.auth, { credential, name, client: clientInfo(c) }), 201)
    },
  )
  .openapi(
    me.signedIn('get', '/', {
      summary: "The user's passkeys, oldest first",
      responses: { 200: jsonContent(PasskeyList, 'Passkeys'), ...errorResponses(401) },
    }),
    async (c) => c.json(await listPasskeys(c.var.deps, c.var.auth.userId), 200),
  )
  .openapi(
    me.signedIn('patch', '/{id}', {
      summary: 'Rename a passkey',
      request: { params: PasskeyIdParam, body: jsonBody(RenamePasskeyBody) },
      responses: { 200: jsonContent(Passkey, 'The passkey'), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => {
      const change = { id: c.req.valid('param').id, name: c.req.valid('json').name }
      return c.json(await renamePasskey(c.var.deps, c.var.auth.userId, change), 200)
    },
  )
  .openapi(
    me.signedIn('delete', '/{id}', {
      middleware: requireLiveSession,
      summary: 'Delete a passkey: it no longer signs in',
      request: { params: PasskeyIdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      await removePasskey(c.var.deps, c.var.auth.userId, { id: c.req.valid('param').id, client: clientInfo(c) })
      return c.body(null, 204)
    },
  )

/** `/auth/passkey`: sign in with a passkey. Mounted by routes/auth.ts, after its per-IP limits. */
export const authPasskey = newRouter()
  .openapi(
    auth.route('post', '/options', {
      summary:
        'Request options for a passkey sign-in (navigator.credentials.get); without an identifier, any discoverable passkey',
      request: { body: { ...jsonBody(PasskeySignInOptionsBody), required: false } },
      responses: {
        200: jsonContent(
          RequestOptions,
          'PublicKeyCredentialRequestOptionsJSON (the same shape whether or not the account exists)',
        ),
        ...errorResponses(400, 413, 415, 429),
      },
    }),
    async (c) => c.json(await passkeySignInOptions(c.var.deps, c.req.valid('json') ?? {}, clientInfo(c)), 200, NO_STORE),
  )
  .openapi(
    auth.route('post', '/verify', {
      summary: "Sign in with a passkey: the assertion's toJSON(); answers the token response",
      request: { body: jsonBody(PasskeyVerifyBody) },
      responses: { 200: jsonContent(TokenResponse, 'Signed in'), ...errorResponses(400, 401, 403, 413, 415, 429) },
    }),
    async (c) => c.json(await verifyPasskeySignIn(c.var.deps, c.req.valid('json').credential, clientInfo(c)), 200, NO_STORE),
  )
