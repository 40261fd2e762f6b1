import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cliVarNames, followPortVars, localUrl, varsSetInConfig } from '../../scripts/lib/dev-args.mjs'

// SPEC §10: `npm run dev -- --port N` makes PUBLIC_URL and JWT_ISSUER follow the port unless
// they are set explicitly. End to end (the issuer of real tokens): test/node/oauth-clients.test.ts.

const dir = mkdtempSync(join(tmpdir(), 'dev-args-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const unset = () => false

describe('the vars npm run dev adds', () => {
  it('makes both follow --port, in either spelling, and 8787 without one', () => {
    expect(followPortVars(['--port', '8911'], unset)).toEqual([
      '--var',
      'PUBLIC_URL:http://localhost:8911',
      '--var',
      'JWT_ISSUER:http://localhost:8911',
    ])
    expect(followPortVars(['--port=9000', '--ip', '0.0.0.0'], unset)).toContain('JWT_ISSUER:http://localhost:9000')
    expect(followPortVars([], unset)).toContain('PUBLIC_URL:http://localhost:8787')
    expect(localUrl(['--port', '8443', '--local-protocol', 'https'])).toBe('https://localhost:8443')
  })

  it('leaves a var given with --var alone, in every form wrangler takes', () => {
    expect(cliVarNames(['--var', 'A:1', 'JWT_ISSUER:https://x', '--port', '1'])).toEqual(['A', 'JWT_ISSUER'])
    expect(cliVarNames(['--var=PUBLIC_URL:https://a:1', '--var', 'B:2'])).toEqual(['PUBLIC_URL', 'B'])
    expect(followPortVars(['--port', '8911', '--var', 'JWT_ISSUER:https://auth.example'], unset)).toEqual([
      '--var',
      'PUBLIC_URL:http://localhost:8911',
    ])
    expect(followPortVars(['--var', 'OTP_SIGNUP:true', 'PUBLIC_URL:https://tunnel.example'], unset)).toEqual([
      '--var',
      'JWT_ISSUER:http://localhost:8787',
    ])
  })

  it('leaves a var the configuration files set alone', () => {
    expect(followPortVars(['--port', '8911'], (name) => name === 'PUBLIC_URL')).toEqual([
      '--var',
      'JWT_ISSUER:http://localhost:8911',
    ])
    expect(followPortVars(['--port', '8911'], () => true)).toEqual([])
  })
})

describe('what the configuration files set, as wrangler reads them', () => {
  const project = (toml: string, devVars?: string) => {
    const root = mkdtempSync(join(dir, 'project-'))
    writeFileSync(join(root, 'wrangler.toml'), `name = "x"\nmain = "index.ts"\ncompatibility_date = "2026-04-20"\n${toml}`)
    if (devVars !== undefined) writeFileSync(join(root, '.dev.vars'), devVars)
    return root
  }

  it("reads wrangler.toml's [vars] and .dev.vars", async () => {
    const root = project('[vars]\nPUBLIC_URL = "https://tunnel.example"\n', 'JWT_ISSUER=https://auth.example\n')
    const set = await varsSetInConfig({ configPath: join(root, 'wrangler.toml') })
    expect([set.has('PUBLIC_URL'), set.has('JWT_ISSUER')]).toEqual([true, true])
  })

  it('reads an --env-file instead of .dev.vars, as wrangler does', async () => {
    const root = project('', 'JWT_ISSUER=https://auth.example\n')
    writeFileSync(join(root, 'test.env'), 'PUBLIC_URL=https://tunnel.example\n')
    const set = await varsSetInConfig({ configPath: join(root, 'wrangler.toml'), envFiles: [join(root, 'test.env')] })
    expect([set.has('PUBLIC_URL'), set.has('JWT_ISSUER')]).toEqual([true, false])
  })

  it("reads an environment's own [vars] with --env", async () => {
    const root = project('[env.staging.vars]\nJWT_ISSUER = "https://staging.example"\n')
    const set = await varsSetInConfig({ configPath: join(root, 'wrangler.toml'), environment: 'staging' })
    expect(set.has('JWT_ISSUER')).toBe(true)
    expect((await varsSetInConfig({ configPath: join(root, 'wrangler.toml') })).has('JWT_ISSUER')).toBe(false)
  })

  it("this repository's wrangler.toml sets neither at the top level, so npm run dev makes both follow the port", async () => {
    const empty = join(dir, 'empty.env')
    writeFileSync(empty, '')
    const set = await varsSetInConfig({ envFiles: [empty] })
    expect(set.has('JWT_AUDIENCE')).toBe(true)
    expect([set.has('PUBLIC_URL'), set.has('JWT_ISSUER')]).toEqual([false, false])
  })
})
