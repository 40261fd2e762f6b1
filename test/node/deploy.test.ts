import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// `npm run deploy` (scripts/deploy.mjs). Cloudflare is out of reach here: the refusals and the
// dry run use the real wrangler.toml and wrangler; the real deploy runs against a fake wrangler
// that records its arguments, in a copy of wrangler.toml with the placeholders filled in.

const SCRIPT = resolve('scripts/deploy.mjs')
const dirs: string[] = []
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function deploy(args: string[], cwd = process.cwd()) {
  const run = spawnSync('node', [SCRIPT, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '' } })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** A project directory whose `wrangler` writes one line per call: its arguments and $CI. */
function fakeProject(opts: { failOn?: string } = {}) {
  const dir = tempDir('deploy-fake-')
  const filled = readFileSync('wrangler.toml', 'utf8')
    .replace(/REPLACE_WITH_[A-Z_]+/g, '0123456789abcdef0123456789abcdef')
    .replaceAll('example.com', 'edge-auth.test')
  writeFileSync(join(dir, 'wrangler.toml'), filled)
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true })
  const fail = opts.failOn ? `case "$*" in *${opts.failOn}*) exit 7;; esac\n` : ''
  const bin = join(dir, 'node_modules/.bin/wrangler')
  writeFileSync(bin, `#!/usr/bin/env bash\necho "$* CI=$CI" >> "$(dirname "$0")/calls.log"\n${fail}`)
  chmodSync(bin, 0o755)
  const calls = () => {
    const log = join(dir, 'node_modules/.bin/calls.log')
    return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []
  }
  return { dir, calls }
}

describe('npm run deploy', () => {
  it('refuses without --env, naming the environments', () => {
    const run = deploy([])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('--env is required')
    expect(run.stderr).toContain('Known: staging, production')
  })

  it('refuses an environment wrangler.toml does not define', () => {
    const run = deploy(['--env', 'prod'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('no [env.prod] in wrangler.toml')
  })

  it('refuses to deploy while the environment has placeholders, listing each, before running wrangler', () => {
    const run = deploy(['--env', 'production'])
    expect(run.code).toBe(1)
    for (const value of ['REPLACE_WITH_PRODUCTION_D1_ID', 'REPLACE_WITH_PRODUCTION_KV_ID', 'https://auth.example.com']) {
      expect(run.stderr).toContain(value)
    }
    expect(run.stderr).not.toContain('STAGING')
    expect(run.stdout).not.toContain('npx wrangler')
    expect(deploy(['--env', 'staging', '--check']).code).toBe(1)
  })

  it('applies the migrations with --remote (no prompt), then deploys that environment', () => {
    const project = fakeProject()
    const run = deploy(['--env', 'production'], project.dir)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(project.calls()).toEqual(['d1 migrations apply DB --remote --env production CI=1', 'deploy --env production CI='])
    expect(deploy(['--env', 'staging', '--check'], project.dir)).toMatchObject({ code: 0, stderr: '' })
  })

  it('does not deploy when the migrations fail', () => {
    const project = fakeProject({ failOn: 'migrations' })
    const run = deploy(['--env', 'staging'], project.dir)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('wrangler d1 failed (exit code 7)')
    expect(project.calls()).toEqual(['d1 migrations apply DB --remote --env staging CI=1'])
  })

  it('--dry-run prints the commands and builds the bundle offline', () => {
    const outdir = tempDir('deploy-dry-')
    const run = deploy(['--env', 'production', '--dry-run', '--outdir', outdir])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('npx wrangler d1 migrations apply DB --remote --env production')
    expect(run.stdout).toContain('npx wrangler deploy --env production')
    expect(run.stdout).toContain(`Bundle built in ${outdir}`)
    expect(run.stderr).toContain('warning: placeholder left')
    expect(existsSync(join(outdir, 'index.js'))).toBe(true)
  })
})
