// `npm run create-super-admin -- --username root --password '…' [--phone …] [--email …] [--name …] [--remote] [--env ENV]`
// creates the first super admin (SPEC §6.5) in the local D1 that `wrangler dev` uses, or with
// --remote in the deployed one; `--env production` picks the D1 of wrangler.toml's
// [env.production] instead of the top level's. `--persist-to DIR` picks another local D1 (tests).
import { hashPassword } from '../src/crypto/password'
import { newId } from '../src/crypto/random'
import { applyLocalMigrations, D1Error, type D1Target, d1Query, d1TargetArgs, insertSql, sqlValue } from './lib/d1'
import { cliConfig, parseInput, Refusal, type SuperAdminInput } from './lib/super-admin-input'

/** Refuses when the username (case-insensitively), phone or email already belongs to an account. */
function assertUnused(target: D1Target, input: SuperAdminInput): void {
  const conditions = [`lower(username) = ${sqlValue(input.username)}`]
  if (input.phone) conditions.push(`phone = ${sqlValue(input.phone)}`)
  if (input.email) conditions.push(`lower(email) = ${sqlValue(input.email)}`)
  const [taken] = d1Query(target, `SELECT username, phone, email FROM users WHERE ${conditions.join(' OR ')} LIMIT 1`)
  if (!taken) return
  if (String(taken.username ?? '').toLowerCase() === input.username) {
    throw new Refusal(`username '${input.username}' already exists`)
  }
  if (input.phone && taken.phone === input.phone) throw new Refusal(`phone ${input.phone} already belongs to an account`)
  throw new Refusal(`email ${input.email} already belongs to an account`)
}

async function main(): Promise<void> {
  const config = cliConfig()
  const input = parseInput(process.argv.slice(2), config)
  const target: D1Target = { remote: input.remote, persistTo: input.persistTo, env: input.env }
  const where = `${input.remote ? 'the deployed D1 (--remote)' : 'the local D1'}${input.env ? ` of --env ${input.env}` : ''}`

  if (!input.remote) applyLocalMigrations(target)
  try {
    assertUnused(target, input)
  } catch (err) {
    if (!(err instanceof D1Error && err.message.includes('no such table'))) throw err
    const apply = `npx wrangler d1 migrations apply DB ${d1TargetArgs(target).join(' ')}`
    throw new Refusal(`D1 refused: ${err.message}\nApply the migrations first: ${apply}`)
  }

  const now = Date.now()
  const id = newId(now)
  const passwordHash = await hashPassword(input.password, { logN: config.SCRYPT_LOG_N, r: config.SCRYPT_R, p: config.SCRYPT_P })
  d1Query(
    target,
    insertSql('users', {
      id,
      username: input.username,
      phone: input.phone,
      email: input.email,
      name: input.name,
      password_hash: passwordHash,
      role: 'super_admin',
      status: 'active',
      phone_verified: false,
      email_verified: false,
      created_at: now,
      updated_at: now,
    }),
  )

  console.log(`Created super admin '${input.username}' (id ${id}) in ${where}.`)
  console.log('Log in with POST /api/v1/auth/login and a JSON body {"username": "…", "password": "…"}, e.g.')
  console.log(
    `  curl -X POST http://localhost:8787/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"${input.username}","password":"…"}'`,
  )
}

main().catch((err: unknown) => {
  if (err instanceof Refusal) console.error(err.message)
  else if (err instanceof D1Error) console.error(`D1 refused: ${err.message}`)
  else console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
