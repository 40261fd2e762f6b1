import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { d1Query } from '../../scripts/lib/d1'
import { verifyPassword } from '../../src/crypto/password'

const PASSWORD = 'Str0ng-Passw0rd'
// A small scrypt cost keeps the runs fast; the service re-hashes at its own cost on first login.
const ENV = { ...process.env, SCRYPT_LOG_N: '10', SCRYPT_R: '8', SCRYPT_P: '1' }

let dir: string
const target = () => ({ remote: false, persistTo: dir })

function createSuperAdmin(...args: string[]) {
  const run = spawnSync('node_modules/.bin/tsx', ['scripts/create-super-admin.ts', ...args, '--persist-to', dir], {
    encoding: 'utf8',
    env: ENV,
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

const users = () => d1Query(target(), 'SELECT * FROM users ORDER BY created_at')

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'create-super-admin-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// The cases share one local D1 and run in order: the first creates `root`, the rest are refused.
describe('create-super-admin', () => {
  it('creates one active super admin whose hash verifies the password', async () => {
    const run = createSuperAdmin(
      ...['--username', 'Root', '--password', PASSWORD, '--phone', '98 765 432'],
      ...['--email', ' Root@Example.TN ', '--name', "O'Brien"],
    )
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('POST /api/v1/auth/login')

    const rows = users()
    expect(rows).toHaveLength(1)
    const row = rows[0] ?? {}
    expect(run.stdout).toContain(`id ${row.id}`)
    expect(row).toMatchObject({
      username: 'root',
      phone: '+21698765432',
      email: 'root@example.tn',
      name: "O'Brien",
      role: 'super_admin',
      status: 'active',
      phone_verified: 0,
      email_verified: 0,
      parent_id: null,
    })
    expect(row.created_at).toBe(row.updated_at)
    expect(String(row.password_hash)).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/)
    expect(await verifyPassword(PASSWORD, String(row.password_hash))).toBe(true)
    expect(await verifyPassword('Wr0ng-Passw0rd', String(row.password_hash))).toBe(false)
  })

  it('refuses an existing username, whatever its case', () => {
    const run = createSuperAdmin('--username', 'ROOT', '--password', PASSWORD)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("username 'root' already exists")
    expect(users()).toHaveLength(1)
  })

  it('refuses a phone that belongs to another account', () => {
    const run = createSuperAdmin('--username', 'second', '--password', PASSWORD, '--phone', '+216 98 765 432')
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('phone +21698765432 already belongs to an account')
  })

  it('refuses a password the policy refuses, with the policy message', () => {
    const weak = createSuperAdmin('--username', 'second', '--password', 'password')
    expect(weak.code).toBe(1)
    expect(weak.stderr).toContain('password refused: Must contain an upper-case letter, a lower-case letter and a digit')

    const common = createSuperAdmin('--username', 'second', '--password', 'Password1')
    expect(common.code).toBe(1)
    expect(common.stderr).toContain('password refused: This password is too common')

    const own = createSuperAdmin('--username', 'second12', '--password', 'Second12')
    expect(own.code).toBe(1)
    expect(own.stderr).toContain('password refused: Must not be your phone, email or username')
    expect(users()).toHaveLength(1)
  })

  it('refuses a phone number that is not a valid mobile number', () => {
    const run = createSuperAdmin('--username', 'second', '--password', PASSWORD, '--phone', '123')
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("phone refused: '123' is not a valid mobile phone number")
  })

  it('refuses a username outside 3–32 of a-z 0-9 . _ -', () => {
    for (const username of ["ro'ot", 'ab', 'x'.repeat(33), 'root admin']) {
      const run = createSuperAdmin('--username', username, '--password', PASSWORD)
      expect(run.code).toBe(1)
      expect(run.stderr).toContain('username refused: use 3–32 of a-z 0-9 . _ -')
    }
  })

  it('refuses unknown flags and missing arguments with the usage', () => {
    const unknown = createSuperAdmin('--username', 'second', '--password', PASSWORD, '--role', 'admin')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("Unknown option '--role'")
    expect(unknown.stderr).toContain('usage: npm run create-super-admin')

    const missing = createSuperAdmin('--username', 'second')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('--username and --password are required')
  })

  it('stores a name holding quotes and SQL verbatim', () => {
    const name = 'x\'); DROP TABLE users; -- BEGIN TRANSACTION; COMMIT; /* "$$'
    const run = createSuperAdmin('--username', 'second', '--password', PASSWORD, '--name', name)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(users().map((u) => [u.username, u.name])).toEqual([
      ['root', "O'Brien"],
      ['second', name],
    ])
  })
})
