// `npm run import-users` end to end against a local D1 (wrangler --persist-to a temporary
// directory): 1,000 accounts in the seeds' shapes and hash formats, bad lines reported by number,
// a second run changing nothing, --dry-run writing nothing, and --pool.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { d1Query } from '../../scripts/lib/d1'
import { verifyPassword } from '../../src/crypto/password'
import {
  type Hashes,
  jsonl,
  legacyHashes,
  OLD_PASSWORD,
  ours,
  seed000,
  seed001,
  seed002,
  seed003,
  seed004Staff,
  seed004User,
} from './fixtures/seed-users'

// Seed 003's role `user` is an end-user role here; user2 is a pool whose end users are sellers.
const ENV = {
  ...process.env,
  END_USER_ROLES: 'particulier,user',
  USER_POOLS: '{"user1":{},"user2":{"end_user_roles":["seller"]}}',
}

let dir: string
let hashes: Hashes
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)
const target = (persistTo = dir) => ({ remote: false, persistTo })
const query = (sql: string, persistTo = dir) => d1Query(target(persistTo), sql)

function importUsers(records: unknown[], ...args: string[]) {
  const file = join(dir, `users-${Math.random().toString(36).slice(2)}.jsonl`)
  writeFileSync(file, jsonl(records))
  const persistTo = args.includes('--persist-to') ? [] : ['--persist-to', dir]
  const run = spawnSync('node_modules/.bin/tsx', ['scripts/import-users.ts', file, ...args, ...persistTo], {
    encoding: 'utf8',
    env: ENV,
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

const BAD = {
  phone: '{"_id": 900001, "phone": "123", "name": "Bad"}',
  duplicate: '{"_id": 900002, "phone": "+216 90 000 000"}',
  role: '{"_id": 900003, "phone": "+216 99 999 999", "role": "wizard"}',
  hash: '{"_id": 900004, "phone": "+216 99 999 998", "password": "Plain-Passw0rd"}',
  json: '{"_id": 900005, "phone": ',
}

/** 1,000 accounts: seeds 000–004 and ours; the bad lines after records 100, 300, 500, 700 and 900. */
function seedFile(h: Hashes): { records: unknown[]; badLines: Record<keyof typeof BAD, number> } {
  const good = [
    ...range(0, 250).map((i) => seed000(i, h)),
    ...range(1000, 200).map((i) => seed001(i, h)),
    ...range(1, 150).map((i) => seed002(i, h)),
    ...range(10001, 150).map((i) => seed003(i, h)),
    ...range(2000, 150).map((i) => seed004User(i)),
    ...seed004Staff(h),
    ...range(3000, 90).map((i) => ours(i, h)),
    ...range(3090, 5).map((i) => ours(i, h, false)),
  ]
  const records: unknown[] = []
  const badLines = {} as Record<keyof typeof BAD, number>
  const bad = Object.entries(BAD) as [keyof typeof BAD, string][]
  good.forEach((r, i) => {
    records.push(r)
    const next = bad[[100, 300, 500, 700, 900].indexOf(i + 1)]
    if (next) {
      records.push(next[1])
      badLines[next[0]] = records.length
    }
  })
  return { records, badLines }
}

let file: ReturnType<typeof seedFile>
const snapshot = () => ({
  users: query('SELECT * FROM users ORDER BY id'),
  devices: query('SELECT * FROM devices ORDER BY device_id'),
})
let first: ReturnType<typeof snapshot>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'import-users-'))
  hashes = await legacyHashes()
  file = seedFile(hashes)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// The cases share one local D1 and run in order: the first import fills it, the rest build on it.
describe('import-users', { timeout: 300_000 }, () => {
  it('imports 1,000 accounts in the seeds’ shapes and reports each bad line by number', () => {
    expect(file.records).toHaveLength(1005)
    const run = importUsers(file.records)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(2) // done, with refused lines
    const { badLines: n } = file
    expect(run.stdout).toContain(`line ${n.phone}: refused: phone: '123' is not a valid mobile phone number\n`)
    expect(run.stdout).toContain(`line ${n.duplicate}: refused: phone +21690000000 is also on line 1\n`)
    expect(run.stdout).toContain(
      `line ${n.role}: refused: role: 'wizard' is not one of END_USER_ROLES of pool default (particulier, user)`,
    )
    expect(run.stdout).toContain(`line ${n.hash}: refused: password_hash: an unknown hash format`)
    expect(run.stdout).not.toContain('Plain-Passw0rd')
    expect(run.stdout).toContain(`line ${n.json}: refused: not valid JSON`)
    expect(run.stdout).toContain("ignored fields (neither ours nor the seeds'): __v (250 lines)")
    expect(run.stdout).toMatch(/ {2}imported: 1000 \((.+)\)\n/)
    const formats = /imported: 1000 \((.+)\)/.exec(run.stdout)?.[1]?.split(', ').sort()
    expect(formats).toEqual(['argon2id 75', 'bcrypt 575', 'no password 150', 'pbkdf2-sha256 105', 'scrypt 95'])
    expect(run.stdout).toContain('  skipped: 0 (already there: 0; phone, email, username or device of another account: 0)\n')
    expect(run.stdout).toContain('  refused: 5\n')
    expect(query('SELECT pool, count(*) AS n FROM users GROUP BY pool')).toEqual([{ pool: 'default', n: 1000 }])
    first = snapshot()
  })

  it('keeps ids, stores phones in E.164 and emails lower-cased, with the verified flags and statuses of the records', () => {
    const row = (id: string) => first.users.find((u) => u.id === id)
    // Seed 000: an ObjectId, an unverified first account (pending), a verified one with its last login.
    expect(row('65a1b2c3d4e5000000000000')).toMatchObject({
      pool: 'default',
      phone: '+21690000000',
      email: 'ahmed.0@example.tn',
      name: 'Ahmed',
      surname: 'Ben Salem',
      role: 'particulier',
      status: 'pending',
      phone_verified: 0,
      email_verified: 0,
      password_hash: hashes.bcrypt12,
      created_at: Date.parse('2024-01-15T10:30:00Z'),
      last_login: null,
    })
    expect(row('65a1b2c3d4e5000000000001')).toMatchObject({
      status: 'active',
      phone_verified: 1,
      last_login: Date.parse('2024-01-20T14:25:00Z'),
    })
    expect(bcrypt.compareSync(OLD_PASSWORD, String(row('65a1b2c3d4e5000000000001')?.password_hash))).toBe(true)
    expect(first.devices.find((d) => d.device_id === 'inv-5')).toEqual({
      device_id: 'inv-5',
      pool: 'default',
      user_id: '65a1b2c3d4e5000000000005',
      type: 'inverter',
      registered_at: Date.parse('2024-01-16T09:00:00Z'),
    })
    expect(first.devices).toHaveLength(50)
    // Seed 001: a national number read in its country_code, first/last names, a verified email.
    expect(row('65a1b2c3d4e50000000003e8')).toMatchObject({
      phone: '+21690001000',
      name: 'John',
      surname: 'Doe',
      email: 'john.1000@example.com',
      email_verified: 1,
      phone_verified: 0,
      status: 'active',
      password_hash: hashes.bcrypt10,
      created_at: Date.parse('2024-03-01T08:00:00Z'),
    })
    // Seed 002: an integer id as its decimal string, an Egyptian number behind its calling code.
    expect(row('7')).toMatchObject({
      phone: '+201000000007',
      email: null,
      role: 'particulier',
      status: 'active',
      password_hash: hashes.bcrypt12,
    })
    // Seed 003: statuses (inactive = pending), role `user`, argon2id.
    expect([10001, 10002, 10003, 10004].map((i) => row(String(i))?.status)).toEqual([
      'pending',
      'deactivated',
      'suspended',
      'active',
    ])
    expect(row('10001')).toMatchObject({ role: 'user', email: 'user10001@faceofmind.example', password_hash: hashes.argon2id })
    // Seed 004: end users without a password, staff with usernames, sub-clients under their client.
    expect(row('65a1b2c3d4e50000000007d0')).toMatchObject({
      phone: '+21690002000',
      password_hash: null,
      phone_verified: 1,
      status: 'active',
    })
    expect(row('65a1b2c3d4e500000a000001')).toMatchObject({
      username: 'amira',
      role: 'admin',
      pool: 'default',
      password_hash: hashes.pbkdf2,
    })
    const subclients = first.users.filter((u) => u.role === 'subclient')
    expect(subclients.map((u) => [u.username, u.parent_id])).toEqual(
      [1, 2, 3].map((n) => [`solaris-${n}`, '65a1b2c3d4e500000c000001']),
    )
    // Ours: UUIDv7 ids kept, scrypt hashes that verify; no id: a new UUIDv7.
    expect(row('0190aaaa-bbbb-7ccc-8ddd-000000000bb8')).toMatchObject({
      phone: '+21690003000',
      phone_verified: 1,
      status: 'active',
    })
    const noId = first.users.find((u) => u.phone === '+21690003090')
    expect(noId?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('imports scrypt hashes that verify the old password', async () => {
    const [row] = query("SELECT password_hash FROM users WHERE id = '0190aaaa-bbbb-7ccc-8ddd-000000000bb8'")
    expect(await verifyPassword(OLD_PASSWORD, String(row?.password_hash))).toBe(true)
    expect(await verifyPassword('Wr0ng-Passw0rd', String(row?.password_hash))).toBe(false)
  })

  it('changes nothing when the same file is imported again: everything is skipped', () => {
    const run = importUsers(file.records)
    expect(run.code).toBe(2)
    expect(run.stdout).toContain('  imported: 0\n')
    // The five records without an id hold phones of the accounts the first run made of them.
    expect(run.stdout).toContain('  skipped: 1000 (already there: 995; phone, email, username or device of another account: 5)\n')
    expect(run.stdout).toMatch(
      /line \d+: skipped: phone \+21690003090 belongs to the account [0-9a-f-]{36} \(the record has no id: imported before\?\) of the pool\n/,
    )
    expect(run.stdout).toContain('  refused: 5\n')
    expect(snapshot()).toEqual(first)
  })

  it('writes nothing with --dry-run, and says what it would do', () => {
    const records = [seed000(5000, hashes), seed001(5001, hashes), seed000(0, hashes)]
    const run = importUsers(records, '--dry-run')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Dry run: nothing was written. It would do this:\n')
    expect(run.stdout).toContain('  imported: 2 (bcrypt 1, pbkdf2-sha256 1)\n')
    expect(run.stdout).toContain('  skipped: 1 (already there: 1;')
    expect(snapshot()).toEqual(first)
  })

  it('writes nothing with --dry-run to a D1 without tables', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'import-users-dry-'))
    try {
      const run = importUsers([seed000(1, hashes)], '--dry-run', '--persist-to', fresh)
      expect(run.stderr).toBe('')
      expect(run.stdout).toContain('  imported: 1 (bcrypt 1)\n')
      expect(query("SELECT name FROM sqlite_master WHERE type = 'table'", fresh)).toEqual([])
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  })

  it('imports into the pool --pool names, with its roles: the same phone holds an account in each pool', () => {
    const seller = (i: number) => ({ ...seed004User(i), _id: `seller-${i}`, role: 'seller' })
    const run = importUsers(
      [
        seller(2000), // the phone of a default account
        seller(2001),
        { ...seller(2002), _id: '7' }, // the id of an account of default
        { ...seller(2003), role: 'particulier' },
        seed004Staff(hashes)[0],
      ],
      '--pool',
      'user2',
    )
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain('line 3: refused: id 7 is an account of the pool default\n')
    expect(run.stdout).toContain("line 4: refused: role: 'particulier' is not one of END_USER_ROLES of pool user2 (seller)\n")
    expect(run.stdout).toContain('line 5: refused: role: staff (admin) belong to the pool default, not user2\n')
    expect(run.stdout).toContain('  imported: 2 (no password 2)\n')
    expect(query("SELECT id, pool, role FROM users WHERE phone = '+21690002000' ORDER BY pool")).toEqual([
      { id: '65a1b2c3d4e50000000007d0', pool: 'default', role: 'particulier' },
      { id: 'seller-2000', pool: 'user2', role: 'seller' },
    ])
  })

  it('warns when the pool is not in USER_POOLS, and refuses a pool id that cannot be one', () => {
    const unknown = importUsers([{ ...seed004User(2000), _id: 'p9-1' }], '--pool', 'user9')
    expect(unknown.code).toBe(0)
    expect(unknown.stderr).toContain("warning: the pool 'user9' is not in USER_POOLS")
    expect(unknown.stdout).toContain('  imported: 1 (no password 1)\n')
    expect(query("SELECT pool FROM users WHERE id = 'p9-1'")).toEqual([{ pool: 'user9' }])

    const bad = importUsers([seed004User(1)], '--pool', 'User 1')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("--pool: pool ids are [a-z0-9-]{1,32}, not 'User 1'")
  })

  it('refuses a missing file, unknown options and --remote without --env, with the usage', () => {
    const missing = spawnSync(
      'node_modules/.bin/tsx',
      ['scripts/import-users.ts', join(dir, 'nope.jsonl'), '--persist-to', dir],
      {
        encoding: 'utf8',
      },
    )
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain(`cannot read ${join(dir, 'nope.jsonl')}`)
    const unknown = importUsers([], '--force')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("Unknown option '--force'")
    expect(unknown.stderr).toContain('usage: npm run import-users -- FILE [--pool P] [--remote --env E] [--dry-run]')
    const remote = spawnSync('node_modules/.bin/tsx', ['scripts/import-users.ts', 'x.jsonl', '--remote'], { encoding: 'utf8' })
    expect(remote.stderr).toContain('--remote needs --env')
  })
})
