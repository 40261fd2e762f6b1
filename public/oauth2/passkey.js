// The hosted pages' passkey button (SPEC §14, §15): asks the JSON API for request options, lets the
// browser's authenticator answer them, and posts the assertion (`toJSON()`) in the page's own form,
// so the page's server side signs in with the same service as POST /auth/passkey/verify. Loaded
// with the page's CSP nonce; it reads everything it needs from the form's data attributes.
;(() => {
  const form = document.getElementById('passkey-form')
  if (!form) return
  const button = form.querySelector('button[data-passkey]')
  const status = document.getElementById('passkey-status')
  const say = (text) => {
    status.textContent = text
  }
  const usable =
    window.PublicKeyCredential && typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function' && navigator.credentials
  if (!usable) {
    say(form.dataset.unsupported)
    return
  }
  button.hidden = false
  button.addEventListener('click', async (event) => {
    event.preventDefault()
    button.disabled = true
    say('')
    try {
      const res = await fetch(form.dataset.options, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: '{}',
        credentials: 'same-origin',
      })
      if (!res.ok) throw new Error(`options ${res.status}`)
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(await res.json())
      const credential = await navigator.credentials.get({ publicKey })
      form.elements.namedItem(form.dataset.field).value = JSON.stringify(credential.toJSON())
      form.submit()
    } catch {
      say(form.dataset.failed)
      button.disabled = false
    }
  })
})()
