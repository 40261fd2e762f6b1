// `npm run size`: builds the deployable bundle (`wrangler deploy --dry-run --outdir`), prints its
// raw and gzip sizes and its largest contributors, and exits 1 when gzip exceeds the budget
// (issue 7: 350 KiB). gzip is zlib level 6 over all uploaded modules, as `wrangler deploy` reports it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBundle, bundleContributors, bundleSizes, GZIP_LEVEL, kib } from './lib/bundle.mjs'

export const GZIP_BUDGET_KIB = 350

process.chdir(fileURLToPath(new URL('..', import.meta.url))) // the repository root, wherever it is run from

const outdir = mkdtempSync(join(tmpdir(), 'edge-auth-size-'))
let code = 0
try {
  await buildBundle(outdir)
  const size = bundleSizes(outdir)
  for (const f of size.files) console.log(`  ${f.name.padEnd(24)} ${kib(f.raw).padStart(10)} KiB raw`)
  console.log('largest contributors (bytes in the bundle, before gzip):')
  for (const c of bundleContributors(outdir, 8)) console.log(`  ${c.name.padEnd(32)} ${kib(c.bytes).padStart(10)} KiB`)
  const within = size.gzip <= GZIP_BUDGET_KIB * 1024
  console.log(
    `bundle: ${kib(size.raw)} KiB raw, ${kib(size.gzip)} KiB gzip (level ${GZIP_LEVEL}; level 9: ${kib(size.gzip9)} KiB)` +
      ` — budget ${GZIP_BUDGET_KIB} KiB gzip: ${within ? 'OK' : 'EXCEEDED'}`,
  )
  if (!within) code = 1
} catch (err) {
  console.error(String(err?.message ?? err))
  code = 1
} finally {
  rmSync(outdir, { recursive: true, force: true })
}
process.exit(code)
