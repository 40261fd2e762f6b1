import { expect } from 'vitest'
import { call, json } from './app'

type Vars = Record<string, string>

/** POST /auth/token with a form-encoded body, as an OAuth 2.0 client sends it (`from`: more headers, the client IP). */
export function token(
  params: Record<string, string>,
  vars?: Vars,
  from: { headers?: Record<string, string>; ip?: string } = {},
): Promise<Response> {
  return call('POST', '/api/v1/auth/token', {
    body: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...from.headers },
    env: vars,
    ...(from.ip ? { ip: from.ip } : {}),
  })
}

/** Asserts an RFC 6749 §5.2 error: plain JSON with exactly `error` and `error_description`. */
export async function expectOAuthError(res: Response, status: number, error: string) {
  const body = await json(res)
  expect({ status: res.status, error: body.error }).toEqual({ status, error })
  expect(res.headers.get('content-type')).toMatch(/^application\/json\b/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('x-request-id')).toBeTruthy()
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description'])
  expect(typeof body.error_description).toBe('string')
  expect(body.error_description.length).toBeGreaterThan(0)
  return body
}

/** Asserts an RFC 6749 §5.1 token response and returns it. */
export async function expectTokens(res: Response) {
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('content-type')).toMatch(/^application\/json\b/)
  const body = await json(res)
  expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type'])
  expect(body).toMatchObject({ token_type: 'bearer', expires_in: 900 })
  expect(body.access_token.split('.')).toHaveLength(3)
  expect(typeof body.refresh_token).toBe('string')
  return body as { access_token: string; refresh_token: string }
}
