// Issue 17's "done when": imported accounts sign in with the password of their old service,
// whatever its hash (bcrypt $2b$ cost 10 and 12, passlib PBKDF2, argon2id, scrypt), and the first
// sign-in leaves a scrypt hash (SPEC §13). The import writes into the local D1 of a running
// `npm run dev`, which then serves the logins.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { d1Query } from '../../scripts/lib/d1'
import { type Hashes, jsonl, legacyHashes, OLD_PASSWORD } from './fixtures/seed-users'
import { type DevServer, startDevServer } from './helpers/dev-server'

let server: DevServer
let hashes: Hashes

beforeAll(async () => {
  ;[server, hashes] = await Promise.all([startDevServer({}), legacyHashes()])
}, 180_000)

afterAll(async () => {
  await server?.stop()
})

const KINDS = ['bcrypt10', 'bcrypt12', 'pbkdf2', 'argon2id', 'scrypt'] as const
const phoneOf = (i: number) => `+2169${String(8_800_000 + i).padStart(7, '0')}`

function login(phone: string, password: string) {
  return fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': `203.0.113.${phone.slice(-2)}` },
    body: JSON.stringify({ phone, password }),
  })
}

describe('imported accounts sign in with their old passwords', () => {
  it('each hash kind logs in, is scrypt afterwards, and logs in again', async () => {
    const records = KINDS.map((kind, i) => ({
      _id: 770_000 + i,
      phone: phoneOf(i),
      first_name: kind,
      is_verified: true,
      password: hashes[kind],
    }))
    const file = join(server.state, 'import.jsonl')
    writeFileSync(file, jsonl(records))
    const run = spawnSync('node_modules/.bin/tsx', ['scripts/import-users.ts', file, '--persist-to', server.state], {
      encoding: 'utf8',
    })
    expect(run.stdout, run.stderr).toMatch(/imported: 5\b/)

    const target = { remote: false, persistTo: server.state }
    for (const [i, kind] of KINDS.entries()) {
      const phone = phoneOf(i)
      const first = await login(phone, OLD_PASSWORD)
      expect(first.status, `${kind}: ${await first.clone().text()}`).toBe(200)
      expect(((await first.json()) as { user: { id: string } }).user.id).toBe(String(770_000 + i))
      expect((await login(phone, 'Not-The-Passw0rd')).status).toBe(401)
      const [row] = await d1Query(target, `SELECT password_hash FROM users WHERE id = '${770_000 + i}'`)
      expect(String((row as { password_hash: string }).password_hash), kind).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$/)
      expect((await login(phone, OLD_PASSWORD)).status, kind).toBe(200)
    }
  }, 180_000)
})
