import { base64ToBytes } from '../../crypto/encoding'
import { OAuthError, REALM } from '../../errors'

/** The parsed form; a repeated parameter arrives as an array when parsed with `parseBody({ all: true })`. */
export type Form = Record<string, string | File | (string | File)[]>

/** RFC 6749 §5.2: a client that authenticated with an Authorization header is answered with its scheme's challenge. */
export const BASIC_CHALLENGE = `Basic realm="${REALM}"`
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
/** Parameters by which a client authenticates in the body: RFC 6749 §2.3.1 `client_secret_post`, RFC 7523 §2.2 assertions. */
const CREDENTIAL_PARAMETERS = ['client_secret', 'client_assertion', 'client_assertion_type']

const malformedBasic = () =>
  new OAuthError('invalid_client', 'Malformed Basic credentials: send base64(client_id:client_secret)', {
    challenge: BASIC_CHALLENGE,
  })

/** RFC 6749 §2.3.1: client_id and secret are form-encoded before they are joined with a colon. */
function formDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '))
}

/** `client_id:client_secret` of `Authorization: Basic …`; throws 401 `invalid_client` when it is not that. */
export function basicCredentials(credentials: string): { id: string; secret: string } {
  if (!BASE64.test(credentials)) throw malformedBasic()
  let decoded: string
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64ToBytes(credentials))
  } catch {
    throw malformedBasic() // an impossible length, or bytes that are not UTF-8
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) throw malformedBasic()
  let id: string
  let secret: string
  try {
    id = formDecode(decoded.slice(0, colon))
    secret = formDecode(decoded.slice(colon + 1))
  } catch {
    throw malformedBasic() // a broken %-escape
  }
  if (id === '') throw malformedBasic()
  return { id, secret }
}

/**
 * Client authentication of the token endpoint (RFC 6749 §2.3, §3.2.1). No OAuth clients are
 * registered yet (SPEC §15 brings them), so only public clients are served: a `client_id` alone is
 * accepted and not checked. Credentials cannot be valid, so they are refused, never ignored:
 * `Authorization: Basic`, malformed or not, is 401 `invalid_client` with `WWW-Authenticate: Basic`;
 * a `client_secret` or a client assertion in the form is 401 `invalid_client`. Another
 * Authorization scheme (an app's HTTP client adding the user's Bearer token to every call) is not
 * client authentication and is ignored.
 */
export function authenticateClient(form: Form, authorization: string | undefined): void {
  const [scheme = '', ...rest] = (authorization ?? '').trim().split(/ +/)
  if (scheme.toLowerCase() === 'basic') {
    if (rest.length !== 1 || !rest[0]) throw malformedBasic()
    basicCredentials(rest[0])
    throw new OAuthError('invalid_client', 'Unknown client: no confidential clients are registered; send only client_id', {
      challenge: BASIC_CHALLENGE,
    })
  }
  for (const name of CREDENTIAL_PARAMETERS) {
    const value = form[name]
    // RFC 6749 §3.1: an empty parameter is an omitted one.
    if (value !== undefined && value !== '') {
      throw new OAuthError('invalid_client', 'Unknown client: no confidential clients are registered; send only client_id')
    }
  }
  if (Array.isArray(form.client_id)) throw new OAuthError('invalid_request', 'Repeated parameter: client_id')
}
