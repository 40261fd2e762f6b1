import { bytesToBase64 } from '../crypto/encoding'
import { AppError } from '../errors'
import { PAGE_STYLE_HASH } from '../pages/layout'
import { PASSKEY_TEST_SCRIPT, passkeyTestPage } from '../pages/passkey-test'
import { newRouter } from './router'

let scriptHash: Promise<string> | undefined
/** sha256 of the page's one script, base64, for the CSP (computed once per isolate). */
const hashOfScript = () => {
  scriptHash ??= crypto.subtle
    .digest('SHA-256', new TextEncoder().encode(PASSKEY_TEST_SCRIPT))
    .then((d) => `sha256-${bytesToBase64(new Uint8Array(d))}`)
  return scriptHash
}

/**
 * Pages for development only (`ENVIRONMENT=development`; 404 elsewhere), not in the API document.
 * GET /dev/passkey-test: a page that enrols a passkey and signs in with it through the API, for
 * trying passkeys in a browser and for `npm run check:browser` (a virtual authenticator drives it).
 */
export const dev = newRouter().get('/passkey-test', async (c) => {
  const { config } = c.var.deps
  if (config.ENVIRONMENT !== 'development') throw new AppError('not_found', `No route for GET ${c.req.path}`)
  // Its own script (by hash) and style only, and fetch to this origin only: nothing external.
  const csp = `default-src 'none'; script-src '${await hashOfScript()}'; style-src '${PAGE_STYLE_HASH}'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`
  return c.html(passkeyTestPage(config.APP_NAME), 200, { 'content-security-policy': csp, 'cache-control': 'no-store' })
})
