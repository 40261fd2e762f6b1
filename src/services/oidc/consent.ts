import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { type AuthorizationRequest, openRequest } from './authorization-request'
import { listOf } from './provider'

/** What the consent and sign-in pages show of a request: the client's name and the scopes asked. */
export interface RequestView {
  request: AuthorizationRequest
  client: { id: string; name: string; firstParty: boolean }
  scopes: string[]
}

/** The request a `request` parameter carries, with its client (400 if either is gone or not this pool's). */
export async function describeRequest(deps: Deps, sealed: string | undefined): Promise<RequestView> {
  const request = await openRequest(deps, sealed)
  const client = await deps.oauthClients.byId(request.clientId)
  if (!client || client.pool !== deps.pool.id) throw new AppError('validation_error', 'This application is no longer registered')
  return {
    request,
    client: { id: client.id, name: client.name, firstParty: client.firstParty },
    scopes: request.scope.split(' ').filter(Boolean),
  }
}

/** Records that `userId` lets the request's client have the request's scopes (with those granted before). */
export async function grantConsent(
  deps: Deps,
  { request, userId }: { request: AuthorizationRequest; userId: string },
): Promise<void> {
  const before = (await deps.oauthConsents.of(userId, request.clientId))?.scope.split(' ') ?? []
  const scope = [...new Set([...before, ...request.scope.split(' ')])].filter(Boolean).join(' ')
  await deps.oauthConsents.grant({ userId, clientId: request.clientId, scope, now: deps.now() })
}

/**
 * Whether `userId` already consented to the request's client, with every scope the request asks;
 * after `prompt=consent`, only a consent given after the request arrived (its own consent page).
 */
export async function hasConsent(
  deps: Deps,
  { request, userId }: { request: AuthorizationRequest; userId: string },
): Promise<boolean> {
  const recorded = await deps.oauthConsents.of(userId, request.clientId)
  // No consent recorded: the screen is due, whatever the request asks (an empty scope too).
  if (recorded === undefined) return false
  if (request.reconsent && recorded.grantedAt < request.iat) return false
  const granted = new Set(recorded.scope.split(' '))
  return request.scope.split(' ').every((s) => !s || granted.has(s))
}

/**
 * RFC 6749 §4.1.2.1: the redirect that tells the client the request ended in `error`
 * (`access_denied` when the user declined), with its `state` and RFC 9207 `iss`.
 */
export function errorRedirect(deps: Deps, request: Pick<AuthorizationRequest, 'redirectUri' | 'state'>, error: string): string {
  const url = new URL(request.redirectUri)
  url.searchParams.set('error', error)
  if (request.state !== undefined) url.searchParams.set('state', request.state)
  url.searchParams.set('iss', deps.config.JWT_ISSUER)
  return url.toString()
}

/**
 * The redirect for a user who declined the consent screen; undefined when the request's redirect
 * URI is no longer one its client (of this pool) registers: the sealed request may be 30 minutes
 * old, and a URI an admin removed meanwhile must not receive the browser.
 */
export async function denyRequest(deps: Deps, request: AuthorizationRequest): Promise<string | undefined> {
  const client = await deps.oauthClients.byId(request.clientId)
  if (!client || client.pool !== deps.pool.id || !listOf(client.redirectUris).includes(request.redirectUri)) return undefined
  return errorRedirect(deps, request, 'access_denied')
}
