// `npm run dev [-- wrangler dev args]`: development secrets when missing, the API reference
// bundles (scripts/assets.mjs), local D1 migrations, then `wrangler dev` on port 8787 (SPEC §11).
// PUBLIC_URL and JWT_ISSUER follow the port (`--port N`: http://localhost:N) unless set explicitly:
// with `--var`, in wrangler.toml's [vars], in `.dev.vars` or in an `--env-file` (SPEC §10).
import { spawn, spawnSync } from 'node:child_process'
import { copyAssets } from './assets.mjs'
import { ensureDevVars } from './dev-vars.mjs'
import { followPortVars, optionValues, varsSetInConfig } from './lib/dev-args.mjs'

const wrangler = process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler'
const bin = `node_modules/.bin/${wrangler}`

const args = process.argv.slice(2)
const envFiles = optionValues(args, '--env-file', { array: true })
const environment = optionValues(args, '--env').at(-1) ?? optionValues(args, '-e').at(-1)
const persistTo = optionValues(args, '--persist-to').at(-1)

// With an --env-file, wrangler reads that instead of .dev.vars: nothing to generate.
if (envFiles.length === 0 && ensureDevVars()) console.log('[dev] generated .dev.vars (Ed25519 and RSA signing keys, OTP pepper)')

// The API reference pages' bundles (public/vendor, Workers static assets), from node_modules.
if (copyAssets().length > 0) console.log('[dev] copied the API reference bundles into public/vendor')

const migrate = spawnSync(
  bin,
  [
    'd1',
    'migrations',
    'apply',
    'DB',
    '--local',
    ...(persistTo ? ['--persist-to', persistTo] : []),
    ...(environment ? ['--env', environment] : []),
  ],
  { stdio: 'inherit', env: { ...process.env, CI: '1' } },
)
if (migrate.status !== 0) process.exit(migrate.status ?? 1)

const configured = await varsSetInConfig({ envFiles, environment })
const followPort = followPortVars(args, (name) => configured.has(name))

const hasPort = optionValues(args, '--port').length > 0
const child = spawn(bin, ['dev', ...(hasPort ? [] : ['--port', '8787']), ...followPort, ...args], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
