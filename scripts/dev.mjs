// `npm run dev [-- wrangler dev args]`: development secrets when missing, the API reference
// bundles (scripts/assets.mjs), local D1 migrations, then `wrangler dev` on port 8787 (SPEC §11).
import { spawn, spawnSync } from 'node:child_process'
import { copyAssets } from './assets.mjs'
import { ensureDevVars } from './dev-vars.mjs'

const wrangler = process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler'
const bin = `node_modules/.bin/${wrangler}`

if (ensureDevVars()) console.log('[dev] generated .dev.vars (Ed25519 signing key, OTP pepper)')

// The API reference pages' bundles (public/vendor, Workers static assets), from node_modules.
if (copyAssets().length > 0) console.log('[dev] copied the API reference bundles into public/vendor')

const migrate = spawnSync(bin, ['d1', 'migrations', 'apply', 'DB', '--local'], {
  stdio: 'inherit',
  env: { ...process.env, CI: '1' },
})
if (migrate.status !== 0) process.exit(migrate.status ?? 1)

const args = process.argv.slice(2)
const hasPort = args.some((a) => a === '--port' || a.startsWith('--port='))
const child = spawn(bin, ['dev', ...(hasPort ? [] : ['--port', '8787']), ...args], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
