// `npm run assets`: copies the API reference bundles from node_modules into public/vendor/ (the
// Workers static assets directory of wrangler.toml, git-ignored), so their versions are the ones
// pinned by package-lock.json and no page loads anything from a CDN (SPEC §6.7). Run by
// `npm run dev`, the test setup (vitest.config.ts), `npm run deploy`, the browser check and
// deploy.yml; cheap when the copies are current.
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Served path under public/ -> the file of an installed package. */
export const VENDOR = {
  'vendor/scalar-api-reference.js': '@scalar/api-reference/dist/browser/standalone.js',
  'vendor/redoc.standalone.js': 'redoc/bundles/redoc.standalone.js',
}

const upToDate = (from, to) => {
  try {
    const [a, b] = [statSync(from), statSync(to)]
    return a.size === b.size && b.mtimeMs >= a.mtimeMs
  } catch {
    return false
  }
}

/** Copies every vendored bundle into `root`/public; returns the paths copied (none when current). */
export function copyAssets(root = ROOT) {
  const copied = []
  for (const [target, source] of Object.entries(VENDOR)) {
    const from = join(root, 'node_modules', source)
    const to = join(root, 'public', target)
    if (upToDate(from, to)) continue
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(from, to)
    copied.push(target)
  }
  return copied
}

/** The installed versions of the vendored packages, for the README and the report. */
export function vendorVersions(root = ROOT) {
  const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version
  return { '@scalar/api-reference': version('@scalar/api-reference'), redoc: version('redoc') }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const copied = copyAssets()
  const versions = Object.entries(vendorVersions())
    .map(([name, v]) => `${name}@${v}`)
    .join(', ')
  console.log(
    copied.length ? `[assets] copied ${copied.join(', ')} (${versions})` : `[assets] public/vendor is current (${versions})`,
  )
}
