// `npm run cold-start [-- --runs N]`: how fast a fresh isolate of the deployable bundle answers
// (issue 20). `wrangler deploy --dry-run` reports no startup time (only a real deploy does, from
// Cloudflare's API), so this measures locally, two ways:
//   1. `wrangler check startup` (three runs, the median): a V8 CPU profile of the Worker's startup phase (evaluating the
//      bundle's top level) in workerd; prints the CPU time the profile's samples spent (script,
//      V8 compile/"program", garbage collection), idle time left out.
//   2. N fresh workerd processes (Miniflare, wrangler's own copy) running the bundle `wrangler
//      deploy --dry-run --outdir` builds, each with its own empty storage: the time from starting
//      the runtime to the first answer of `GET /` (no I/O), and that first request alone; medians.
// Numbers depend on the machine: compare runs on the same one (README, "Performance").
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBundle, bundleSizes, kib, WRANGLER_BIN } from './lib/bundle.mjs'

process.chdir(fileURLToPath(new URL('..', import.meta.url)))
const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7

const require = createRequire(import.meta.url)
const wranglerRequire = createRequire(require.resolve('wrangler/package.json'))
const { Miniflare } = wranglerRequire('miniflare')

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const ms = (x) => `${x.toFixed(1)} ms`

/** CPU time by kind in a V8 .cpuprofile: each sample's time delta goes to the node it hit. */
export function profileCpu(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]))
  const totals = { script: 0, program: 0, gc: 0, idle: 0 }
  profile.samples.forEach((id, i) => {
    const name = byId.get(id) ?? ''
    const kind = name === '(idle)' ? 'idle' : name === '(program)' ? 'program' : name === '(garbage collector)' ? 'gc' : 'script'
    totals[kind] += (profile.timeDeltas[i] ?? 0) / 1000
  })
  return { ...totals, cpu: totals.script + totals.program + totals.gc }
}

const tmp = mkdtempSync(join(tmpdir(), 'edge-auth-cold-'))
let code = 0
try {
  // 1. wrangler's own startup profile, three times (one profile is noisy on a busy machine): the median.
  const env = { ...process.env, CI: '1', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' }
  const profiles = []
  for (let i = 0; i < 3; i++) {
    const profilePath = join(tmp, `startup-${i}.cpuprofile`)
    const checked = spawnSync(WRANGLER_BIN, ['check', 'startup', '--outfile', profilePath], { env, encoding: 'utf8' })
    if (checked.status !== 0) throw new Error(`wrangler check startup failed:\n${checked.stdout}\n${checked.stderr}`)
    profiles.push(profileCpu(JSON.parse(readFileSync(profilePath, 'utf8'))))
  }
  profiles.sort((a, b) => a.cpu - b.cpu)
  const profiled = profiles[1]
  console.log(
    `wrangler check startup, median of 3: ${ms(profiled.cpu)} CPU in the startup phase ` +
      `(script ${ms(profiled.script)}, compile/program ${ms(profiled.program)}, GC ${ms(profiled.gc)}; ` +
      `all runs ${profiles.map((p) => p.cpu.toFixed(1)).join(', ')} ms)`,
  )

  // 2. Fresh workerd processes running the deployable bundle.
  const outdir = join(tmp, 'dist')
  await buildBundle(outdir)
  const size = bundleSizes(outdir)
  const wrangler = require('wrangler')
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions('wrangler.toml')
  const modules = size.files
    .map((f) => f.name)
    .filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
    .map((f) => ({ type: 'ESModule', path: join(outdir, f) }))
  const toFirst = []
  const firstAlone = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    const mf = new Miniflare({
      host: '127.0.0.1',
      port: 0,
      logRequests: false,
      defaultPersistRoot: join(tmp, `state-${i}`),
      workers: [{ ...workerOptions, name: 'edge-auth', modulesRoot: outdir, modules }],
    })
    try {
      const url = await mf.ready
      const t1 = performance.now()
      const res = await fetch(new URL('/', url))
      await res.text()
      const t2 = performance.now()
      if (res.status !== 200) throw new Error(`GET / answered ${res.status}`)
      toFirst.push(t2 - t0)
      firstAlone.push(t2 - t1)
    } finally {
      await mf.dispose()
    }
  }
  console.log(
    `fresh workerd, ${RUNS} runs (bundle ${kib(size.raw)} KiB raw, ${kib(size.gzip)} KiB gzip): ` +
      `start to first answer median ${ms(median(toFirst))} (min ${ms(Math.min(...toFirst))}), ` +
      `the first request alone median ${ms(median(firstAlone))} (min ${ms(Math.min(...firstAlone))})`,
  )
} catch (err) {
  console.error(String(err?.message ?? err))
  code = 1
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
process.exit(code)
