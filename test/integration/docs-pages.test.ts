import { describe, expect, it } from 'vitest'
import { DOCS_CSP } from '../../src/routes/docs'
import { call } from '../helpers/app'

/** SPEC §6.7: the reference pages work offline, every script served by the Worker, no inline script. */
const PAGES = ['/api/v1/docs', '/api/v1/redoc']

const directive = (csp: string, name: string) =>
  csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `)) ?? ''

describe.each(PAGES)('%s', (path) => {
  it('has a CSP that allows scripts from this origin only, none inline', async () => {
    const res = await call('GET', path)
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toBe(DOCS_CSP)
    expect(directive(csp, 'script-src')).toBe("script-src 'self'")
    expect(csp).not.toMatch(/https?:|\*/)
    expect(directive(csp, 'connect-src')).toBe("connect-src 'self'")
  })

  it('loads only scripts of /api/v1/assets, none inline, nothing from another origin', async () => {
    const html = await (await call('GET', path)).text()
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBe(2)
    for (const [, attrs, body] of scripts) {
      expect(body?.trim()).toBe('')
      expect(attrs).toMatch(/^ src="\/api\/v1\/assets\/[a-z0-9./-]+\.js"$/)
    }
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(html).not.toMatch(/style=|<style/)
  })

  it('serves every script it loads, as JavaScript with the API’s headers', async () => {
    const html = await (await call('GET', path)).text()
    for (const [, src] of html.matchAll(/<script src="([^"]+)"/g)) {
      const res = await call('GET', src as string)
      expect(res.status, src).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/javascript/)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-request-id')).toBeTruthy()
      expect((await res.text()).length).toBeGreaterThan(100)
    }
  })
})

describe('/api/v1/assets', () => {
  it('answers 404 not_found for a file it does not have, and never reaches outside public/', async () => {
    for (const path of [
      '/api/v1/assets/nope.js',
      '/api/v1/assets/../wrangler.toml',
      '/api/v1/assets/%2e%2e/wrangler.toml',
      '/api/v1/assets/..%2fwrangler.toml',
      '/api/v1/assets/vendor/%5C%20',
      '/api/v1/assets/',
    ]) {
      const res = await call('GET', path)
      expect([404], path).toContain(res.status)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    }
  })

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await call('GET', '/api/v1/assets/redoc-init.js')
    const etag = first.headers.get('etag')
    expect(etag).toBeTruthy()
    const again = await call('GET', '/api/v1/assets/redoc-init.js', { headers: { 'if-none-match': etag as string } })
    expect(again.status).toBe(304)
  })
})
