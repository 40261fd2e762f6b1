import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { json } from '../helpers/app'
import { authorizeCall, browserSession, codeRequest, createClient, expectOidcError, oauthPost } from '../helpers/oidc'
import { useOutbox } from '../helpers/outbox'

// Adversarial tests of the security review of issue 20 (the OpenID provider and its hosted pages).

const box = useOutbox()

describe('consent of third-party clients', () => {
  it('cannot be skipped by asking for no scope at all', async () => {
    // A third-party client the user never consented to asks for an empty scope: with a browser
    // session, it must still meet the consent screen, not get a code (and the user's access token).
    const third = await createClient({ firstParty: false })
    const session = await browserSession(box)
    for (const scope of ['', ' ']) {
      const { params } = await codeRequest(third.id, { scope })
      const res = await authorizeCall(params, session.cookie)
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toMatch(/^\/oauth2\/consent\?request=/)
      const silent = await authorizeCall((await codeRequest(third.id, { scope, prompt: 'none' })).params, session.cookie)
      expect(new URL(silent.headers.get('location') ?? '').searchParams.get('error')).toBe('consent_required')
    }
  })
})
