import { describe, expect, it } from 'vitest'
import { definitionProblems, isPrivateUse, redirectUriProblem } from '../../src/services/oauth-clients'

describe('redirectUriProblem (SPEC §15, RFC 8252)', () => {
  it.each([
    'https://app.example.tn/callback',
    'https://app.example.tn:8443/cb?tenant=1',
    'HTTPS://APP.EXAMPLE.TN/cb',
    'http://localhost/cb',
    'http://localhost:3000/cb',
    'http://127.0.0.1:8400/cb',
    'http://[::1]:8080/cb',
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
    'tn.example.solar:/cb',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull()
  })

  it.each([
    ['http://localhost.evil.tn/cb', /loopback|localhost/],
    ['http://127.0.0.2/cb', /localhost/],
    ['http://localhost./cb', /localhost/],
    ['https://app.example.tn/cb#', /fragment/],
    ['https://*.example.tn/cb', /Wildcard/],
    ['https:/app.example.tn/cb', /https:\/\//],
    ['https://', /absolute/],
    ['myapp:/cb', /private-use/],
    ['file:///etc/passwd', /private-use/],
    ['javascript:alert(1)//x.y', /private-use/],
    ['https://app.example.tn/\ncb', /control/],
    ['https://user@app.example.tn/cb', /user name/],
  ])('refuses %s', (uri, message) => {
    expect(redirectUriProblem(uri)).toMatch(message)
  })

  it('tells private-use schemes (with a dot) from the others', () => {
    expect(isPrivateUse('com.example.app:/cb')).toBe(true)
    expect(isPrivateUse('https://app.example.tn/cb')).toBe(false)
    expect(isPrivateUse('myapp:/cb')).toBe(false)
  })
})

describe('definitionProblems', () => {
  const web = {
    type: 'confidential' as const,
    redirectUris: ['https://app.example.tn/cb'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    userId: null,
  }

  it('accepts a web app, a public app with a private-use scheme and a machine client', () => {
    expect(definitionProblems(web)).toEqual({})
    expect(definitionProblems({ ...web, type: 'public', redirectUris: ['com.example.app:/cb'] })).toEqual({})
    expect(definitionProblems({ ...web, redirectUris: [], grantTypes: ['client_credentials'], userId: 'u1' })).toEqual({})
  })

  it('names each broken rule', () => {
    expect(
      definitionProblems({
        type: 'public',
        redirectUris: [],
        postLogoutRedirectUris: [],
        grantTypes: ['authorization_code', 'client_credentials'],
        userId: 'u1',
      }),
    ).toEqual({
      redirect_uris: expect.any(String),
      grant_types: expect.stringMatching(/confidential/),
      user_id: expect.any(String),
    })
    expect(definitionProblems({ ...web, postLogoutRedirectUris: ['https://a.tn/', 'com.example.app:/bye'] })).toEqual({
      'post_logout_redirect_uris.1': expect.stringMatching(/public/),
    })
  })
})
