import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a script without declarations
import { buildClient } from '../../scripts/build-client.mjs'

const ROOT = resolve(import.meta.dirname, '../..')
const FIXTURE = join(ROOT, 'test/node/fixtures/client-consumer')

/** Issue 18 item 6: the typed client, shipped so that another project can use it. */
describe('the typed client (client/, `edge-auth/client`)', () => {
  it('is the build of the current routes (npm run build:client after changing one)', () => {
    const fresh = buildClient(ROOT) as Record<string, string>
    for (const [name, content] of Object.entries(fresh)) {
      expect(readFileSync(join(ROOT, 'client', name), 'utf8'), `client/${name} is stale: npm run build:client`).toBe(content)
    }
  })

  it('declares its types with nothing of the server: only hono is imported', () => {
    const dts = readFileSync(join(ROOT, 'client/index.d.ts'), 'utf8')
    const imported = [...dts.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1])
    expect(new Set(imported)).toEqual(new Set(['hono/client', 'hono/utils/types']))
    expect(dts).not.toMatch(/D1Database|KVNamespace|ExecutionContext|NodeJS|Buffer\b|AppEnv|Deps\b/)
  })

  it('type-checks in a browser project (lib DOM, no Node or Workers types), route types included', () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    const result = spawnSync(process.execPath, [tsc, '-p', FIXTURE], { encoding: 'utf8' })
    expect(`${result.stdout}${result.stderr}`).toBe('')
    expect(result.status).toBe(0)
  })

  it('sends the requests its types describe', async () => {
    const { createClient } = await import('../../client/index.js')
    const seen: { url: string; method: string; body: string; auth: string | null }[] = []
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init)
      seen.push({ url: req.url, method: req.method, body: await req.text(), auth: req.headers.get('authorization') })
      return Response.json({ ok: true })
    }
    const api = createClient('https://auth.example.com', { fetch, headers: { authorization: 'Bearer t' } }).api.v1
    await api.auth.login.$post({ json: { phone: '+21698765432', password: 'pw' } })
    await api.me.sessions.$get({ query: { limit: '5' } })
    expect(seen).toEqual([
      {
        url: 'https://auth.example.com/api/v1/auth/login',
        method: 'POST',
        body: '{"phone":"+21698765432","password":"pw"}',
        auth: 'Bearer t',
      },
      { url: 'https://auth.example.com/api/v1/me/sessions?limit=5', method: 'GET', body: '', auth: 'Bearer t' },
    ])
  })
})
