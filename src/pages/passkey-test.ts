import { layout } from './layout'

/**
 * The development page's script (GET /api/v1/dev/passkey-test): enrols a passkey for the access
 * token typed in, and signs in with one, through the API's own endpoints. It uses the browser's
 * WebAuthn JSON helpers (`parseCreationOptionsFromJSON`, `toJSON()`; Chromium 129+, Firefox 119+,
 * Safari 18.4+), exactly as the README tells a client to. Allowed by its hash in the CSP.
 */
export const PASSKEY_TEST_SCRIPT = `
const $ = (id) => document.getElementById(id)
const show = (text, data) => {
  $('status').textContent = text
  $('result').textContent = data ? JSON.stringify(data, null, 2) : ''
}
async function api(path, body, token) {
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = 'Bearer ' + token
  const res = await fetch('/api/v1' + path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const data = await res.json()
  if (!res.ok) throw new Error(res.status + ' ' + data.error + ': ' + data.detail)
  return data
}
$('register').addEventListener('click', async () => {
  try {
    const token = $('token').value.trim()
    const options = await api('/me/passkeys/options', undefined, token)
    const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
    const passkey = await api('/me/passkeys', { credential: credential.toJSON(), name: $('name').value.trim() || undefined }, token)
    show('Passkey added: ' + passkey.id, passkey)
  } catch (err) {
    show('Failed: ' + err.message)
  }
})
$('signin').addEventListener('click', async () => {
  try {
    const phone = $('phone').value.trim()
    const options = await api('/auth/passkey/options', phone ? { phone } : {})
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) })
    const tokens = await api('/auth/passkey/verify', { credential: credential.toJSON() })
    show('Signed in as ' + tokens.user.id, { user: tokens.user })
  } catch (err) {
    show('Failed: ' + err.message)
  }
})
`

/** The page: two forms' worth of fields and buttons, a status line; the script at the end. */
export function passkeyTestPage(app: string): string {
  return layout(
    app,
    'Passkey test page',
    `<p class="hint">Development only (ENVIRONMENT=development): enrol a passkey for an access token, then sign in with it.</p>
<label for="token">Access token</label>
<input id="token" autocomplete="off" spellcheck="false">
<label for="name">Passkey name</label>
<input id="name" value="Test passkey" autocomplete="off">
<button id="register" type="button">Add a passkey</button>
<label for="phone">Phone (empty: any passkey of this site)</label>
<input id="phone" type="tel" autocomplete="off">
<button id="signin" type="button">Sign in with a passkey</button>
<p id="status" role="status" aria-live="polite"></p>
<pre id="result"></pre>
<script>${PASSKEY_TEST_SCRIPT}</script>`,
  )
}
