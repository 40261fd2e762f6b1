// The deployable bundle, as `wrangler deploy` would upload it: built with `--dry-run --outdir`,
// measured raw and gzipped. Shared by `npm run size` and `npm run bench`.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

export const WRANGLER_BIN = join('node_modules', '.bin', process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler')

/** The gzip level of the budget: zlib's default (6), the one `wrangler deploy` reports. */
export const GZIP_LEVEL = 6

/**
 * Runs a command to completion in its own process group (so an interrupted run can stop it and
 * its children); resolves with its output, rejects with the output when it fails.
 */
export function run(cmd, args, { env = {}, track } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false', ...env },
      detached: process.platform !== 'win32',
    })
    track?.(child)
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      track?.(child, true)
      if (code === 0) resolve(output)
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`))
    })
  })
}

/** `wrangler deploy --dry-run --outdir <outdir> --metafile`: the exact modules a deploy uploads. */
export function buildBundle(outdir, opts) {
  return run(WRANGLER_BIN, ['deploy', '--dry-run', '--outdir', outdir, '--metafile', join(outdir, 'meta.json')], opts)
}

/** Raw and gzip sizes of the uploaded modules (source maps, README and metafile excluded). */
export function bundleSizes(outdir) {
  const files = readdirSync(outdir)
    .filter((f) => !f.endsWith('.map') && f !== 'README.md' && f !== 'meta.json')
    .sort()
  const contents = files.map((f) => readFileSync(join(outdir, f)))
  // Like wrangler: one gzip stream over all modules, concatenated.
  const all = Buffer.concat(contents)
  return {
    files: files.map((name, i) => ({ name, raw: contents[i].length })),
    raw: all.length,
    gzip: gzipSync(all, { level: GZIP_LEVEL }).length,
    gzip9: gzipSync(all, { level: 9 }).length,
  }
}

/** The largest contributors to the bundle, by package (node_modules) or by src/ folder. */
export function bundleContributors(outdir, top = 10) {
  let meta
  try {
    meta = JSON.parse(readFileSync(join(outdir, 'meta.json'), 'utf8'))
  } catch {
    return []
  }
  const totals = new Map()
  for (const output of Object.values(meta.outputs ?? {})) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const nm = path.lastIndexOf('node_modules/')
      let key
      if (nm !== -1) {
        const parts = path.slice(nm + 'node_modules/'.length).split('/')
        key = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path)
      } else {
        const src = path.indexOf('src/')
        key = src !== -1 ? path.slice(src).split('/').slice(0, 2).join('/') : path
      }
      totals.set(key, (totals.get(key) ?? 0) + bytesInOutput)
    }
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => ({ name, bytes }))
}

export const kib = (bytes) => (bytes / 1024).toFixed(2)
