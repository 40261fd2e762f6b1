// `npm run bench -- --profile`: a V8 CPU profile of the service's worker (not Miniflare's D1 and
// KV simulators: they share workerd's threads, so their samples would overlap the service's),
// through the DevTools inspector, over each scenario's sequential CPU run. Writes one .cpuprofile
// per scenario (open it in Chrome DevTools' Performance panel) and returns a summary: sampled
// milliseconds per request, and the functions by self time. Time spent waiting on a binding
// call shows as the native function that made it (`fetch`, `get`, `put`).
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const SAMPLING_US = 100
const GAP_US = 10 * SAMPLING_US

/** Connects to every inspector target of a Miniflare started with `inspectorPort: 0`. */
export async function openProfiler(mf, { WebSocket = require('ws') } = {}) {
  const inspector = await mf.getInspectorURL()
  const targets = await (await fetch(new URL('/json/list', inspector.href.replace(/^ws/, 'http')))).json()
  const sessions = await Promise.all(
    targets.filter((t) => t.id.startsWith('core:user:')).map((t) => connect(WebSocket, t.id, t.webSocketDebuggerUrl)),
  )
  await Promise.all(
    sessions.map((s) => s.send('Profiler.enable').then(() => s.send('Profiler.setSamplingInterval', { interval: SAMPLING_US }))),
  )
  return {
    start: () => Promise.all(sessions.map((s) => s.send('Profiler.start'))),
    /** Stops, writes `<dir>/<label>.<worker>.cpuprofile`, and summarises per request. */
    async stop(label, requests, dir) {
      mkdirSync(dir, { recursive: true })
      const profiles = await Promise.all(sessions.map(async (s) => ({ worker: s.id, ...(await s.send('Profiler.stop')) })))
      const byWorker = []
      let service
      for (const { worker, profile } of profiles) {
        writeFileSync(join(dir, `${slug(label)}.${slug(worker)}.cpuprofile`), JSON.stringify(profile))
        const self = selfTimes(profile)
        const busyMs = [...self.values()].filter((f) => f.name !== '(idle)').reduce((sum, f) => sum + f.ms, 0)
        byWorker.push({ worker, msPerRequest: busyMs / requests })
        if (worker.startsWith('core:user:')) service = self
      }
      const top = [...(service?.values() ?? [])]
        .filter((f) => f.name !== '(idle)')
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 25)
        .map((f) => ({ ...f, msPerRequest: f.ms / requests }))
      return { byWorker: byWorker.sort((a, b) => b.msPerRequest - a.msPerRequest), top }
    },
    close: () => {
      for (const s of sessions) s.close()
    },
  }
}

function connect(WebSocket, id, url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const waiting = new Map()
    let next = 1
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data))
      const w = waiting.get(msg.id)
      if (!w) return
      waiting.delete(msg.id)
      if (msg.error) w.reject(new Error(`${id}: ${msg.error.message}`))
      else w.resolve(msg.result)
    })
    ws.on('error', reject)
    ws.on('open', () =>
      resolve({
        id,
        send(method, params = {}) {
          const msgId = next++
          ws.send(JSON.stringify({ id: msgId, method, params }))
          return new Promise((res, rej) => waiting.set(msgId, { resolve: res, reject: rej }))
        },
        close: () => ws.close(),
      }),
    )
  })
}

/** Self time in ms per function (name, script, line) of a V8 CPU profile. */
function selfTimes(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const ms = new Map()
  const { samples = [], timeDeltas = [] } = profile
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0
    // A gap far longer than the interval is the thread serving something else (another worker,
    // Node's side of a request): it would be charged to whatever this isolate last ran.
    if (dt > GAP_US) continue
    ms.set(samples[i], (ms.get(samples[i]) ?? 0) + dt / 1000)
  }
  const out = new Map()
  for (const [nodeId, t] of ms) {
    const f = nodes.get(nodeId).callFrame
    const where = f.url ? `${f.url.split('/').pop()}:${f.lineNumber + 1}` : ''
    const key = `${f.functionName || '(anonymous)'} ${where}`
    const entry = out.get(key) ?? { name: f.functionName || '(anonymous)', where, ms: 0 }
    entry.ms += t
    out.set(key, entry)
  }
  return out
}

const slug = (s) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')
