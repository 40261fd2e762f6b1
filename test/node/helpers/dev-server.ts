import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface DevServer {
  /** `http://localhost:<port>`: what PUBLIC_URL and JWT_ISSUER follow. */
  base: string
  /** Its local D1/KV directory (`--persist-to`): what `wrangler d1 … --persist-to` reaches. */
  state: string
  /** Everything `npm run dev` printed so far (the console providers' codes and links included). */
  log(): string
  /**
   * The last code the console SMS provider printed for `phone`, waiting for it briefly; with
   * `since` (a length of `log()` taken before the code was asked for), only a code printed after it.
   */
  smsCode(phone: string, since?: number): Promise<string>
  /** What `pattern` matches in the last email the console provider printed for `to` that it matches, waiting briefly. */
  fromEmail(to: string, pattern: RegExp): Promise<string>
  stop(): Promise<void>
}

/**
 * The service as a developer runs it: `npm run dev -- --port <free port>` (scripts/dev.mjs), with
 * fresh secrets in an `--env-file` (so no `.dev.vars` is read or written), local D1 and KV in a
 * temporary directory (migrations applied by the script), and `vars` as `--var`. One per test
 * file: starting it takes seconds.
 */
export async function startDevServer(vars: Record<string, string>, options: { rsaKey?: boolean } = {}): Promise<DevServer> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-auth-dev-'))
  const keys: object[] = [
    { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'node-test', alg: 'EdDSA' },
  ]
  // An RSA key too, as `npm run dev` generates one: the OpenID provider signs ID tokens RS256 (SPEC §15).
  if (options.rsaKey) {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
    keys.push({ ...rsa, kid: 'node-test-rsa', alg: 'RS256' })
  }
  const envFile = join(dir, 'test.env')
  // Single quotes: the value is taken as it is (as scripts/dev-vars.mjs writes .dev.vars).
  const secrets = [`JWT_PRIVATE_KEYS='${JSON.stringify(keys)}'`, `OTP_PEPPER=${randomBytes(32).toString('base64url')}`]
  writeFileSync(envFile, `${secrets.join('\n')}\n`)
  const port = await freePort()
  const args = ['scripts/dev.mjs', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', join(dir, 'state')]
  args.push('--env-file', envFile, '--log-level', 'log')
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`)
  const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' }
  // Its own process group, so stopping it also stops wrangler and workerd.
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    output += chunk.toString().replace(/\x1b\[[0-9;]*m/g, '')
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)

  const base = `http://localhost:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      try {
        process.kill(-child.pid, 'SIGTERM')
        if (!(await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]))) process.kill(-child.pid, 'SIGKILL')
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + 150_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`npm run dev exited early:\n${output.slice(-3000)}`)
    }
    const ok = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`npm run dev did not answer /health:\n${output.slice(-3000)}`)
    }
    await sleep(500)
  }

  return {
    base,
    state: join(dir, 'state'),
    log: () => output,
    async smsCode(phone, since = 0) {
      for (let i = 0; i < 50; i++) {
        const line = output
          .slice(since)
          .split('\n')
          .filter((l) => l.includes(`[sms] to=${phone} `))
          .at(-1)
        const code = line && /\b(\d{6})\b/.exec(line.split(' body=')[1] ?? '')?.[1]
        if (code) return code
        await sleep(100)
      }
      throw new Error(`no code for ${phone} in the log`)
    },
    async fromEmail(to, pattern) {
      for (let i = 0; i < 50; i++) {
        for (const text of output.split(`[email] to=${to} `).slice(1).reverse()) {
          // An email's text ends where the next log line starts (`[wrangler:info] …`, `[sms] …`).
          const found = pattern.exec(text.split(/\n(?=\[)/)[0] as string)?.[0]
          if (found) return found
        }
        await sleep(100)
      }
      throw new Error(`no email to ${to} matching ${pattern} in the log`)
    },
    stop,
  }
}
