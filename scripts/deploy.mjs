// `npm run deploy -- --env staging|production [--dry-run [--outdir DIR] | --check]`: applies the
// D1 migrations to that environment's remote database, then deploys its Worker. Refuses without
// --env (the top level of wrangler.toml is local development only) and while the environment
// still holds a placeholder from wrangler.toml. --dry-run prints the two commands and only builds
// the bundle (`wrangler deploy --dry-run`, offline) into --outdir or a temporary directory;
// --check only checks the environment for placeholders (deploy.yml runs it before deploying).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { copyAssets } from './assets.mjs'

const WRANGLER = `node_modules/.bin/${process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler'}`
const USAGE = 'usage: npm run deploy -- --env <environment> [--dry-run [--outdir DIR] | --check]'

/**
 * The environments of a wrangler.toml (`[env.NAME]` tables) with, for each, the string values
 * still to replace: `REPLACE_WITH_…` ids and `example.com` URLs or addresses.
 */
function environments(toml) {
  const envs = new Map()
  let current
  for (const [index, line] of toml.split('\n').entries()) {
    const table = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line)
    if (table) {
      current = /^env\.([A-Za-z0-9_-]+)(\.|$)/.exec(table[1] ?? '')?.[1]
      if (current && !envs.has(current)) envs.set(current, [])
      continue
    }
    const entry = /^\s*([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"/.exec(line)
    if (current && entry && /REPLACE_WITH_|example\.com/.test(entry[2])) {
      envs.get(current).push(`wrangler.toml:${index + 1}: ${entry[1]} = "${entry[2]}"`)
    }
  }
  return envs
}

/** The commands a deploy runs, in order. */
function deployCommands(env) {
  return [
    ['d1', 'migrations', 'apply', 'DB', '--remote', '--env', env],
    ['deploy', '--env', env],
  ]
}

function fail(message) {
  console.error(message)
  process.exit(1)
}

function run(args, extraEnv = {}) {
  console.log(`$ npx wrangler ${args.join(' ')}`)
  const result = spawnSync(WRANGLER, args, { stdio: 'inherit', env: { ...process.env, ...extraEnv } })
  if (result.status !== 0) fail(`wrangler ${args[0]} failed (exit code ${result.status ?? result.signal})`)
}

function main() {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        env: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        outdir: { type: 'string' },
        check: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    fail(`${err.message}\n${USAGE}`)
  }
  const envs = environments(readFileSync('wrangler.toml', 'utf8'))
  const known = [...envs.keys()].join(', ')
  if (!values.env) {
    fail(`--env is required: the top level of wrangler.toml is local development only. Known: ${known}\n${USAGE}`)
  }
  const left = envs.get(values.env)
  if (!left) fail(`no [env.${values.env}] in wrangler.toml. Known: ${known}`)

  if (values['dry-run'] && values.check) fail(`--dry-run and --check do not go together\n${USAGE}`)
  if (values['dry-run']) {
    console.log(`Dry run for --env ${values.env}: a deploy would run`)
    for (const args of deployCommands(values.env)) console.log(`  npx wrangler ${args.join(' ')}`)
    for (const line of left) console.warn(`warning: placeholder left, a real deploy refuses it: ${line}`)
    copyAssets() // the [assets] directory a deploy uploads (SPEC §6.7)
    const outdir = values.outdir ?? mkdtempSync(join(tmpdir(), `edge-auth-${values.env}-`))
    run(['deploy', '--dry-run', '--env', values.env, '--outdir', outdir])
    console.log(`Bundle built in ${outdir}; nothing was applied or deployed.`)
    return
  }
  if (values.outdir) fail('--outdir applies to --dry-run only')
  if (left.length > 0) {
    fail(
      [
        `[env.${values.env}] still has placeholders; replace them first (docs/operations.md, "First deploy"):`,
        ...left.map((line) => `  ${line}`),
      ].join('\n'),
    )
  }
  if (values.check) {
    console.log(`[env.${values.env}] has no placeholder left.`)
    return
  }
  const [migrate, deploy] = deployCommands(values.env)
  copyAssets() // the reference pages' bundles, uploaded with the Worker as static assets (SPEC §6.7)
  // CI=1: apply without the confirmation prompt, so a declined prompt can never lead to
  // deploying code whose schema was not applied.
  run(migrate, { CI: '1' })
  run(deploy)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main()
