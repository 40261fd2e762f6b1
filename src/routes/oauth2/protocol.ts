import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import type { AppEnv } from '../../env'
import { formOnly } from '../../errors'
import { selectPool } from '../../middleware/pool'
import { logoutScreen, signedOutScreen } from '../../pages/hosted/logout'
import { browserCookieName } from '../../services/browser-session'
import {
  authorize,
  confirmLogout,
  introspect,
  oidcToken,
  openRequest,
  type Params,
  param,
  poolPrefix,
  providerMetadata,
  resumeAuthorization,
  revokeToken,
  startLogout,
  userinfo,
} from '../../services/oidc'
import { clientInfo, newRouter } from '../router'
import { standalonePage } from './page-kit'
import { documentProtocol } from './protocol-document'

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i
const TOKENS = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** A POST's form (RFC 6749 §3.2: form-encoded only; 415 otherwise); no content type: an empty form. */
async function formOf(c: Context<AppEnv>): Promise<Params> {
  const type = c.req.header('content-type')
  if (type === undefined) return {}
  if (!FORM.test(type)) throw formOnly()
  return c.req.parseBody({ all: true })
}

/** The parameters of an endpoint served by GET and POST: the query, or the form. */
const paramsOf = async (c: Context<AppEnv>): Promise<Params> => (c.req.method === 'POST' ? formOf(c) : c.req.queries())

const cookieOf = (c: Context<AppEnv>) => getCookie(c, browserCookieName(c.var.deps.pool.id))

const clientRequest = async (c: Context<AppEnv>) => ({ form: await formOf(c), authorization: c.req.header('authorization') })

/**
 * The OpenID Provider's protocol endpoints (SPEC §15), for one pool: its routes are mounted at
 * `/` for `default` and at `/pools/:pool` for the others (app.ts). Every error is an RFC 6749 JSON
 * error (render-error.ts). Off (404) unless JWT_ISSUER is this Worker's origin (services/oidc/provider.ts).
 */
function protocolRoutes() {
  const r = newRouter()
  documentProtocol(r)

  r.get('/.well-known/openid-configuration', async (c) =>
    c.json(await providerMetadata(c.var.deps), 200, { 'cache-control': 'public, max-age=300' }),
  )

  const authorizeHandler = async (c: Context<AppEnv>) => {
    const next = await authorize(c.var.deps, await paramsOf(c), cookieOf(c))
    return c.redirect(next.location, 302)
  }
  r.get('/oauth2/authorize', authorizeHandler)
  r.post('/oauth2/authorize', authorizeHandler)
  r.get('/oauth2/authorize/resume', async (c) => {
    const deps = c.var.deps
    const request = await openRequest(deps, c.req.query('request'))
    return c.redirect((await resumeAuthorization(deps, request, cookieOf(c))).location, 302)
  })

  r.post('/oauth2/token', async (c) => {
    const tokens = await oidcToken(c.var.deps, await clientRequest(c), clientInfo(c))
    return c.json(tokens, 200, TOKENS)
  })

  const userinfoHandler = async (c: Context<AppEnv>) => {
    const params = await paramsOf(c)
    return c.json(await userinfo(c.var.deps, { authorization: c.req.header('authorization'), params }), 200, TOKENS)
  }
  r.get('/oauth2/userinfo', userinfoHandler)
  r.post('/oauth2/userinfo', userinfoHandler)

  r.post('/oauth2/revoke', async (c) => {
    await revokeToken(c.var.deps, await clientRequest(c), clientInfo(c))
    return c.body(null, 200, TOKENS)
  })
  r.post('/oauth2/introspect', async (c) => c.json(await introspect(c.var.deps, await clientRequest(c)), 200, TOKENS))

  const endSession = async (c: Context<AppEnv>) => {
    const deps = c.var.deps
    const params = await paramsOf(c)
    const cookie = cookieOf(c)
    const uiLocales = param(params, 'ui_locales', 256)
    if (c.req.method === 'POST' && params.csrf !== undefined) {
      const { location } = await confirmLogout(deps, params, { cookie, client: clientInfo(c) })
      setCookie(c, browserCookieName(deps.pool.id), '', { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: 0 })
      if (location) return c.redirect(location, 303)
      return standalonePage(c, signedOutScreen, { uiLocales })
    }
    const step = await startLogout(deps, params, cookie)
    if (step.kind === 'redirect') return c.redirect(step.location, 302)
    if (step.kind === 'signed_out') return standalonePage(c, signedOutScreen, { uiLocales })
    const action = `${poolPrefix(deps.pool.id)}/oauth2/end_session`
    const form = { client: step.appName, action, request: step.request, csrf: step.csrf }
    return standalonePage(c, (v) => logoutScreen(v, form), { uiLocales, formTarget: step.formAction })
  }
  r.get('/oauth2/end_session', endSession)
  r.post('/oauth2/end_session', endSession)
  return r
}

/** The default pool's provider at `/`, each pool's at `/pools/:pool`, and RFC 8414's metadata (suffix form for pools). */
export function oauth2Protocol() {
  const routes = protocolRoutes()
  const app = newRouter()
  app.use('/pools/:pool/oauth2/*', selectPool)
  app.use('/pools/:pool/.well-known/*', selectPool)
  app.use('/.well-known/oauth-authorization-server/pools/:pool', selectPool)
  const metadata = async (c: Context<AppEnv>) =>
    c.json(await providerMetadata(c.var.deps), 200, { 'cache-control': 'public, max-age=300' })
  app.get('/.well-known/oauth-authorization-server', metadata)
  app.get('/.well-known/oauth-authorization-server/pools/:pool', metadata)
  app.route('/', routes)
  app.route('/pools/:pool', routes)
  return app
}
