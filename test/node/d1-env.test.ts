import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { D1Error, d1Query, d1TargetArgs } from '../../scripts/lib/d1'
import { cliConfig, parseInput } from '../../scripts/lib/super-admin-input'

// `--env` reaches wrangler, so `create-super-admin --remote --env production` writes to the D1 of
// [env.production], not to the top level's placeholder. Checked end to end on local D1s: each
// environment's database is a separate local database.

const dir = mkdtempSync(join(tmpdir(), 'd1-env-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('D1 targets with --env', () => {
  it('passes --env to wrangler, remote and local', () => {
    expect(d1TargetArgs({ remote: true, env: 'production' })).toEqual(['--remote', '--env', 'production'])
    expect(d1TargetArgs({ remote: true })).toEqual(['--remote'])
    expect(d1TargetArgs({ remote: false, persistTo: '/x', env: 'staging' })).toEqual([
      '--local',
      '--persist-to',
      '/x',
      '--env',
      'staging',
    ])
  })

  it('create-super-admin refuses --remote without --env, whose top-level D1 is a placeholder', () => {
    const args = ['--username', 'root', '--password', 'Str0ng-Passw0rd', '--remote']
    expect(() => parseInput(args, cliConfig())).toThrow('--remote needs --env')
    expect(parseInput([...args, '--env', 'production'], cliConfig())).toMatchObject({ remote: true, env: 'production' })
  })

  it('create-super-admin --env staging writes to the staging D1 only', () => {
    const run = spawnSync(
      'node_modules/.bin/tsx',
      [
        'scripts/create-super-admin.ts',
        '--username',
        'root',
        '--password',
        'Str0ng-Passw0rd',
        '--env',
        'staging',
        '--persist-to',
        dir,
      ],
      { encoding: 'utf8', env: { ...process.env, SCRYPT_LOG_N: '10', SCRYPT_R: '8', SCRYPT_P: '1' } },
    )
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain("Created super admin 'root'")
    expect(run.stdout).toContain('in the local D1 of --env staging')

    const staging = d1Query({ remote: false, persistTo: dir, env: 'staging' }, 'SELECT username, role FROM users')
    expect(staging).toEqual([{ username: 'root', role: 'super_admin' }])
    // The top level's local D1 in the same directory was never even migrated.
    expect(() => d1Query({ remote: false, persistTo: dir }, 'SELECT 1 FROM users')).toThrow(D1Error)
  })
})
