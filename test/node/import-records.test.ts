// The import's record rules, without D1: reading a line, validating it with the service's rules,
// recognising hash formats, planning against what D1 holds, and the SQL it writes.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { unstable_splitSqlQuery } from 'wrangler'
import { hashFormat } from '../../scripts/lib/import/hash'
import { emptyExisting, planImport } from '../../scripts/lib/import/plan'
import { RecordProblem } from '../../scripts/lib/import/problem'
import { readRecord, type SourceRecord } from '../../scripts/lib/import/record'
import { insertStatements, literal, sqlFiles } from '../../scripts/lib/import/sql'
import { type ImportUser, validateRecord } from '../../scripts/lib/import/validate'
import { loadConfig } from '../../src/config'
import { idTime } from '../../src/crypto/random'
import { poolConfig } from '../../src/pools'
import { legacyHashes } from './fixtures/seed-users'

const NOW = Date.parse('2026-12-01T00:00:00Z')
const config = loadConfig({
  OTP_PEPPER: 'x'.repeat(32),
  JWT_SECRET_KEY: 'x'.repeat(32),
  USER_POOLS: '{"sellers":{"end_user_roles":["seller"],"allowed_countries":["TN"]}}',
})
const ctx = (pool = 'default') => ({ pool, config: poolConfig(config, pool), now: NOW })

function record(line: string): SourceRecord {
  const read = readRecord(line)
  if ('problem' in read) throw new Error(read.problem)
  return read.record
}
const valid = (fields: object, pool?: string) => validateRecord(record(JSON.stringify(fields)), ctx(pool))
function refusal(fields: object, pool?: string): string {
  try {
    valid(fields, pool)
  } catch (err) {
    if (err instanceof RecordProblem) return err.message
    throw err
  }
  throw new Error('accepted')
}

describe('reading a line', () => {
  it('takes the seeds’ names as ours and lists the fields it ignores', () => {
    const read = readRecord('{"_id":7,"first_name":"John","last_name":"Doe","password":"$2b$…","__v":0,"otp":null}')
    expect(read).toEqual({ record: { id: 7, name: 'John', surname: 'Doe', password_hash: '$2b$…' }, ignored: ['__v', 'otp'] })
  })

  it('refuses what is not one JSON object, and two names for one field that disagree', () => {
    expect(readRecord('{"phone": ')).toMatchObject({ problem: expect.stringMatching(/^not valid JSON/) })
    expect(readRecord('[1]')).toEqual({ problem: 'not a JSON object' })
    expect(readRecord('"x"')).toEqual({ problem: 'not a JSON object' })
    expect(readRecord('{"id":"1","_id":"2"}')).toEqual({ problem: 'id and _id disagree' })
    expect(readRecord('{"id":"1","_id":"1"}')).toMatchObject({ record: { id: '1' } })
  })

  it('says where a line is not JSON without quoting it (it may hold a password in clear)', () => {
    for (const line of ['{"password": hunter2-secret}', 'hunter2-secret is my password', '{"a":1} "hunter2-secret"']) {
      const read = readRecord(line)
      expect(read).toMatchObject({ problem: expect.stringMatching(/^not valid JSON( \(at character \d+\))?$/) })
      expect(JSON.stringify(read)).not.toContain('hunter2')
    }
    expect(readRecord('{"phone": 1 x}')).toEqual({ problem: 'not valid JSON (at character 13)' })
  })

  it('takes JSON null as absent', () => {
    expect(readRecord('{"email":null,"phone":"98765432"}')).toEqual({ record: { phone: '98765432' }, ignored: [] })
  })
})

describe('validating a record with the service’s rules', () => {
  it('normalises a seed 000 record as the service stores it', () => {
    const user = valid({
      _id: { $oid: '65A1B2C3D4E5F6A7B8C9D0E1' },
      name: ' Ahmed ',
      surname: 'Ben Salem',
      phone: '+216 98 765 432',
      email: ' Ahmed@Example.TN ',
      is_verified: true,
      created_at: { $date: '2024-01-15T10:30:00Z' },
      last_login: '2024-01-20T14:25:00Z',
      devices: [{ device_id: 'inv-001', type: 'inverter' }],
    })
    expect(user).toMatchObject({
      id: '65a1b2c3d4e5f6a7b8c9d0e1',
      idGiven: true,
      pool: 'default',
      name: 'Ahmed',
      phone: '+21698765432',
      email: 'ahmed@example.tn',
      role: 'particulier',
      status: 'active',
      phoneVerified: true,
      emailVerified: false,
      passwordHash: null,
      createdAt: Date.parse('2024-01-15T10:30:00Z'),
      updatedAt: Date.parse('2024-01-15T10:30:00Z'),
      lastLogin: Date.parse('2024-01-20T14:25:00Z'),
      devices: [{ deviceId: 'inv-001', type: 'inverter', registeredAt: Date.parse('2024-01-15T10:30:00Z') }],
    })
  })

  it('keeps ids: a number as its decimal string, a string as is; without one a UUIDv7 of its creation time', () => {
    expect(valid({ _id: 42, phone: '98765432' }).id).toBe('42')
    expect(valid({ id: '65a1b2c3d4e5f6a7b8c9d0e1', phone: '98765432' }).id).toBe('65a1b2c3d4e5f6a7b8c9d0e1')
    const fresh = valid({ phone: '98765432', created_at: '2024-01-15T10:30:00Z' })
    expect(fresh.idGiven).toBe(false)
    expect(fresh.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(idTime(fresh.id)).toBe(Date.parse('2024-01-15T10:30:00Z'))
    expect(refusal({ id: 'a b', phone: '98765432' })).toBe('id: use 1–64 of A-Z a-z 0-9 . _ ~ : -')
    expect(refusal({ id: 'x'.repeat(65), phone: '98765432' })).toMatch(/^id: /)
    expect(refusal({ _id: -1, phone: '98765432' })).toBe('id: a number must be a non-negative integer')
    expect(refusal({ _id: 1.5, phone: '98765432' })).toBe('id: a number must be a non-negative integer')
    expect(refusal({ _id: { $oid: 'nope' }, phone: '98765432' })).toBe('id: $oid must be 24 hexadecimal digits')
  })

  it('parses phones with libphonenumber: national numbers in DEFAULT_COUNTRY or the record’s country_code', () => {
    expect(valid({ phone: '0021698765432' }).phone).toBe('+21698765432')
    expect(valid({ phone: '(202) 555-0143', country_code: 'us' }).phone).toBe('+12025550143')
    expect(valid({ phone: '01012345678', country_code: '+20' }).phone).toBe('+201012345678')
    expect(valid({ phone: '+216 98 765 432', country_code: '20' }).phone).toBe('+21698765432')
    expect(refusal({ phone: '123' })).toBe("phone: '123' is not a valid mobile phone number")
    expect(refusal({ phone: '71 123 456' })).toBe("phone: '71 123 456' is not a valid mobile phone number") // a landline
    expect(refusal({ phone: 'tel: 98765432' })).toMatch(/^phone: /)
    expect(refusal({ phone: '98765432', country_code: 'Tunisia' })).toBe(
      'country_code: an ISO country (TN) or a calling code (+216)',
    )
    expect(refusal({ phone: 98765432 })).toBe('phone: must be a string')
    // What the report quotes of a bad value: no terminal escapes, at most 40 characters.
    expect(refusal({ phone: '\u001b[2J98765432' })).toBe("phone: '?[2J98765432' is not a valid mobile phone number")
    expect(refusal({ phone: '98765432', role: 'r'.repeat(100) })).toMatch(/^role: 'r{40}…' is not one of/)
  })

  it('applies the pool’s ALLOWED_COUNTRIES', () => {
    expect(valid({ phone: '+33612345678', role: 'particulier' }).phone).toBe('+33612345678')
    expect(refusal({ phone: '+33612345678', role: 'seller' }, 'sellers')).toBe(
      "phone: '+33612345678' is not a valid mobile phone number of TN",
    )
  })

  it('checks emails, names and usernames with the API’s schemas', () => {
    expect(refusal({ email: 'not-an-email' })).toBe('email: Must be a valid email address')
    expect(refusal({ email: `${'a'.repeat(250)}@b.tn` })).toMatch(/^email: /)
    expect(refusal({ phone: '98765432', name: 'A' })).toBe('name: Must be 2–100 characters')
    expect(refusal({ phone: '98765432', last_name: 'Ro\u0007e' })).toBe('surname: Must not contain control characters')
    expect(valid({ username: ' Root.Admin ', role: 'admin' }).username).toBe('root.admin')
    expect(refusal({ username: 'ro ot', role: 'admin' })).toBe('username: Use 3–32 of a-z 0-9 . _ -')
    expect(refusal({ username: 'ahmed', phone: '98765432' })).toBe('username: only staff accounts have a username (SPEC §4)')
  })

  it('needs an identifier', () => {
    expect(refusal({ name: 'Ahmed' })).toBe('give a phone or an email')
    expect(refusal({ role: 'admin' })).toBe('give a username, a phone or an email')
  })

  it('takes roles from the pool’s END_USER_ROLES, staff roles only in default', () => {
    expect(valid({ phone: '98765432' }).role).toBe('particulier')
    expect(valid({ phone: '98765432' }, 'sellers').role).toBe('seller')
    expect(valid({ username: 'amira', role: 'admin' }).role).toBe('admin')
    expect(refusal({ phone: '98765432', role: 'wizard' })).toBe(
      "role: 'wizard' is not one of END_USER_ROLES of pool default (particulier) or a staff role (super_admin, admin, client, subclient)",
    )
    expect(refusal({ phone: '98765432', role: 'particulier' }, 'sellers')).toBe(
      "role: 'particulier' is not one of END_USER_ROLES of pool sellers (seller)",
    )
    expect(refusal({ username: 'amira', role: 'admin' }, 'sellers')).toBe(
      'role: staff (admin) belong to the pool default, not sellers',
    )
  })

  it('needs a parent for a subclient, and only for one', () => {
    expect(valid({ username: 'sub-1', role: 'subclient', parent_id: 'c1' }).parentId).toBe('c1')
    expect(refusal({ username: 'sub-1', role: 'subclient' })).toBe('parent_id: a subclient needs the id of its client')
    expect(refusal({ phone: '98765432', parent_id: 'c1' })).toBe('parent_id: only a subclient has a parent')
  })

  it('reads statuses and verified flags; without a status an unverified primary identifier is pending', () => {
    expect(valid({ phone: '98765432', status: 'suspended' }).status).toBe('suspended')
    expect(valid({ email: 'a@b.tn', status: 'inactive' }).status).toBe('pending') // seed 003
    expect(refusal({ phone: '98765432', status: 'banned' })).toBe(
      "status: 'banned' is not one of pending, active, deactivated, suspended (or inactive)",
    )
    expect(valid({ phone: '98765432', is_verified: false })).toMatchObject({ status: 'pending', phoneVerified: false })
    expect(valid({ email: 'a@b.tn', phone: '98765432', email_verified: true })).toMatchObject({
      status: 'active',
      phoneVerified: false,
      emailVerified: true,
    })
    expect(valid({ email: 'a@b.tn', is_verified: true })).toMatchObject({ emailVerified: true, phoneVerified: false })
    expect(valid({ phone: '98765432' })).toMatchObject({ status: 'active', phoneVerified: false })
    expect(refusal({ phone: '98765432', is_verified: true, phone_verified: false })).toBe(
      'is_verified and phone_verified disagree',
    )
    expect(refusal({ phone: '98765432', email_verified: true })).toBe('email_verified: true without an email')
    expect(refusal({ phone: '98765432', phone_verified: 'yes' })).toBe('phone_verified: must be true or false')
  })

  it('reads times as ISO 8601 (UTC without a zone), epoch milliseconds or {"$date"}', () => {
    const at = (created_at: unknown) => valid({ phone: '98765432', created_at }).createdAt
    expect(at('2025-02-03 04:05:06.789')).toBe(Date.parse('2025-02-03T04:05:06.789Z'))
    expect(at('2025-02-03T04:05:06+01:00')).toBe(Date.parse('2025-02-03T03:05:06Z'))
    expect(at(1700000000000)).toBe(1700000000000)
    expect(at({ $date: { $numberLong: '1700000000000' } })).toBe(1700000000000)
    expect(refusal({ phone: '98765432', created_at: 'yesterday' })).toBe(
      'created_at: an ISO 8601 time, epoch milliseconds or {"$date": …}',
    )
    expect(refusal({ phone: '98765432', last_login: '2027-06-01T00:00:00Z' })).toBe('last_login: in the future')
  })

  it('checks devices with POST /me/devices’ rules', () => {
    expect(refusal({ phone: '98765432', devices: [{ device_id: 'inv 1', type: 'inverter' }] })).toBe(
      'devices[0].device_id: Use letters, digits and . _ : -',
    )
    expect(
      refusal({
        phone: '98765432',
        devices: [
          { device_id: 'a', type: 'x' },
          { device_id: 'a', type: 'y' },
        ],
      }),
    ).toBe('devices[1]: device_id a twice')
    expect(refusal({ phone: '98765432', devices: {} })).toBe('devices: must be an array')
  })
})

describe('password hash formats', () => {
  it('accepts every format the service verifies, made by the libraries the seeds used', async () => {
    const h = await legacyHashes('Secret-1')
    expect(hashFormat(h.bcrypt10)).toEqual({ format: 'bcrypt' })
    expect(hashFormat(h.bcrypt12)).toEqual({ format: 'bcrypt' })
    expect(hashFormat(h.bcrypt10.replace('$2b$', '$2a$'))).toEqual({ format: 'bcrypt' })
    expect(hashFormat(h.bcrypt10.replace('$2b$', '$2y$'))).toEqual({ format: 'bcrypt' })
    expect(hashFormat(h.pbkdf2)).toEqual({ format: 'pbkdf2-sha256' })
    expect(hashFormat(h.argon2id)).toEqual({ format: 'argon2id' })
    expect(hashFormat(h.scrypt)).toEqual({ format: 'scrypt' })
  })

  it('refuses unknown formats, malformed hashes and costs over the login’s caps, never quoting the value', () => {
    const unknown = 'an unknown hash format (accepted: $scrypt$, bcrypt $2a$/$2b$/$2y$, $pbkdf2-sha256$, $argon2id$)'
    for (const stored of [
      'Passw0rd!',
      '$2x$10$abcdefghijklmnopqrstuu1234567890123456789012345678901',
      '$argon2i$v=19$m=64,t=2,p=1$c2FsdHNhbHQ$aGFzaA',
      '$1$abc$def',
      '',
    ]) {
      expect(hashFormat(stored)).toEqual({ problem: unknown })
    }
    expect(hashFormat('$2b$10$short')).toEqual({ problem: 'a malformed bcrypt hash' })
    expect(hashFormat('$2b$15$abcdefghijklmnopqrstuu1234567890123456789012345678901')).toEqual({
      problem: 'bcrypt cost 15 outside 4..14',
    })
    expect(hashFormat(`$pbkdf2-sha256$200000$c2FsdA$${'A'.repeat(43)}`)).toEqual({
      problem: '$pbkdf2-sha256$ rounds 200000 over 100000',
    })
    expect(hashFormat('$pbkdf2-sha256$29000$c2FsdA$short')).toEqual({ problem: 'a malformed $pbkdf2-sha256$ hash' })
    expect(hashFormat('$argon2id$v=16$m=64,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toEqual({
      problem: '$argon2id$ version 16 (only v=19)',
    })
    expect(hashFormat('$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toEqual({
      problem: '$argon2id$ m=1048576,t=2,p=1 outside the caps',
    })
    expect(hashFormat('$scrypt$ln=30,r=8,p=1$c2FsdA==$aGFzaA==')).toEqual({ problem: 'a malformed $scrypt$ hash' })
    expect(refusal({ phone: '98765432', password: 'Passw0rd!' })).toBe(`password_hash: ${unknown}`)
  })
})

describe('planning against D1 and the file', () => {
  const user = (fields: object) => valid({ phone: '98765432', ...fields })
  const lines = (...users: ImportUser[]) => users.map((u, i) => ({ line: i + 1, user: u }))

  it('imports new accounts, skips those already in the pool, and those holding another account’s identifier', () => {
    const existing = emptyExisting()
    existing.accounts.set('1', { pool: 'default', role: 'particulier' })
    existing.phones.set('+21698765432', '1')
    existing.emails.set('taken@b.tn', '9')
    existing.devices.set('inv-9', '9')
    const plan = planImport(
      lines(
        user({ id: '1', phone: '98765439' }),
        user({ id: '2', phone: '98765433' }),
        user({ id: '3', phone: '98765434', email: 'taken@b.tn' }),
        user({ id: '4', phone: '98765435', devices: [{ device_id: 'inv-9', type: 'x' }] }),
        user({ phone: '+21698765432' }),
      ),
      existing,
    )
    expect(plan.map(({ line, outcome, reason }) => ({ line, outcome, reason }))).toEqual([
      { line: 1, outcome: 'skip', reason: undefined },
      { line: 2, outcome: 'import', reason: undefined },
      { line: 3, outcome: 'skip', reason: 'email taken@b.tn belongs to another account (9) of the pool' },
      { line: 4, outcome: 'skip', reason: 'device inv-9 belongs to another account (9) of the pool' },
      {
        line: 5,
        outcome: 'skip',
        reason: 'phone +21698765432 belongs to the account 1 (the record has no id: imported before?) of the pool',
      },
    ])
  })

  it('refuses a later line repeating an id, identifier or device of an earlier one', () => {
    const plan = planImport(
      lines(
        user({ id: 'a', email: 'x@b.tn', devices: [{ device_id: 'd1', type: 't' }] }),
        user({ id: 'a', phone: '98765433' }),
        user({ id: 'b' }),
        user({ id: 'c', phone: '98765434', email: 'X@B.TN' }),
        user({ id: 'd', phone: '98765435', devices: [{ device_id: 'd1', type: 't' }] }),
      ),
      emptyExisting(),
    )
    expect(plan.map((d) => d.reason ?? d.outcome)).toEqual([
      'import',
      'id a is also on line 1',
      'phone +21698765432 is also on line 1',
      'email x@b.tn is also on line 1',
      'device d1 is also on line 1',
    ])
  })

  it('refuses an id that is an account of another pool', () => {
    const existing = emptyExisting()
    existing.accounts.set('7', { pool: 'default', role: 'particulier' })
    const [d] = planImport([{ line: 1, user: valid({ id: 7, phone: '98765432', role: 'seller' }, 'sellers') }], existing)
    expect(d).toMatchObject({ outcome: 'refuse', reason: 'id 7 is an account of the pool default' })
  })

  it('accepts a subclient whose client is already there or in the file, wherever in it', () => {
    const existing = emptyExisting()
    existing.accounts.set('old-client', { pool: 'default', role: 'client' })
    existing.accounts.set('old-admin', { pool: 'default', role: 'admin' })
    const sub = (id: string, parent: string) => valid({ id, username: `sub-${id}`, role: 'subclient', parent_id: parent })
    const plan = planImport(
      lines(
        sub('s1', 'new-client'),
        valid({ id: 'new-client', username: 'client', role: 'client' }),
        sub('s2', 'old-client'),
        sub('s3', 'old-admin'),
      ),
      existing,
    )
    expect(plan.map((d) => d.reason ?? d.outcome)).toEqual([
      'import',
      'import',
      'import',
      'parent_id old-admin is no client already there or imported by this file',
    ])
  })
})

describe('the SQL written', () => {
  it('quotes plain text and writes the rest as hex, so wrangler’s splitter and trimmer cannot alter it', () => {
    expect(literal('+21698765432')).toBe("'+21698765432'")
    expect(literal('$2b$10$abc./')).toBe("'$2b$10$abc./'")
    expect(literal(null)).toBe('NULL')
    expect(literal(true)).toBe('1')
    expect(literal("O'Brien")).toMatch(/^CAST\(X'[0-9a-f]+' AS TEXT\)$/)
    expect(literal('a;b')).toMatch(/^CAST\(X'/)
    expect(literal('BEGIN TRANSACTION')).toMatch(/^CAST\(X'/)
  })

  it('keeps any text intact through wrangler’s splitting, one statement per statement written', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 8 },
        ),
        (values) => {
          const statements = insertStatements(
            't',
            'a',
            values.map((v) => `(${literal(v)})`),
            200,
          )
          const split = unstable_splitSqlQuery(statements.join('\n'))
          expect(split.map((s) => s.replace(/;$/, ''))).toEqual(statements.map((s) => s.replace(/;$/, '')))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('sizes statements and files within the limits, devices after their users', () => {
    const users = Array.from({ length: 50 }, (_, i) =>
      valid({ id: `u${i}`, phone: `9876${String(i).padStart(4, '0')}`, devices: [{ device_id: `d${i}`, type: 'inverter' }] }),
    )
    const files = sqlFiles(users, { statementBytes: 1000, fileBytes: 5000 })
    expect(files.length).toBeGreaterThan(1)
    expect(files.flatMap((f) => f.users.map((u) => u.id))).toEqual(users.map((u) => u.id))
    for (const file of files) {
      const statements = unstable_splitSqlQuery(file.sql)
      for (const s of statements) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(1000)
      expect(Buffer.byteLength(file.sql)).toBeLessThanOrEqual(5000)
      const firstDevice = statements.findIndex((s) => s.startsWith('INSERT INTO devices'))
      expect(statements.slice(firstDevice).every((s) => s.startsWith('INSERT INTO devices'))).toBe(true)
      expect(statements.slice(0, firstDevice).every((s) => s.startsWith('INSERT INTO users'))).toBe(true)
    }
  })
})

describe('docs/migrating.md', () => {
  it('gives sample lines that the import accepts', async () => {
    const { readFileSync } = await import('node:fs')
    const doc = readFileSync('docs/migrating.md', 'utf8')
    const samples = [...doc.matchAll(/```jsonl\n([\s\S]*?)```/g)].flatMap((m) => (m[1] as string).trim().split('\n'))
    expect(samples.length).toBeGreaterThanOrEqual(7)
    const docConfig = loadConfig({
      OTP_PEPPER: 'x'.repeat(32),
      JWT_SECRET_KEY: 'x'.repeat(32),
      END_USER_ROLES: 'particulier,user',
    })
    for (const line of samples) {
      const read = readRecord(line)
      expect(read, line).not.toHaveProperty('problem')
      if ('problem' in read) continue
      expect(() => validateRecord(read.record, { pool: 'default', config: docConfig, now: NOW }), line).not.toThrow()
    }
  })
})
