// The arguments of create-super-admin, checked by the service's own rules (SPEC §4): the same
// field schemas, phone parser and password policy as registration, so the CLI accepts nothing
// the API would refuse.
import { parseArgs } from 'node:util'
import type { z } from 'zod'
import { type Config, loadConfig } from '../../src/config'
import { EmailField, NameField, UsernameField } from '../../src/schemas/fields'
import { normalizeEmail, normalizeUsername, parsePhone } from '../../src/services/identifiers'
import { passwordProblem } from '../../src/services/passwords'

export const USAGE =
  "usage: npm run create-super-admin -- --username NAME --password 'PASS' [--phone N] [--email E] [--name N] [--remote] [--env ENV]"

const USERNAME_RULE = 'use 3–32 of a-z 0-9 . _ - (case-insensitive)'

/** A refusal the user can act on; printed as is, exit code 1. */
export class Refusal extends Error {
  override name = 'Refusal'
}

export interface SuperAdminInput {
  username: string
  password: string
  phone: string | null
  email: string | null
  name: string | null
  remote: boolean
  persistTo: string | undefined
  /** A wrangler.toml environment (`--env production`); the top level when undefined. */
  env: string | undefined
}

// The settings that change what is accepted or how it is hashed; everything else keeps the defaults.
const CONFIG_KEYS = [
  'PASSWORD_MIN_LENGTH',
  'PASSWORD_REQUIRE_CLASSES',
  'SCRYPT_LOG_N',
  'SCRYPT_R',
  'SCRYPT_P',
  'DEFAULT_COUNTRY',
  'ALLOWED_COUNTRIES',
]

/** The service's Config at its defaults, with the policy and scrypt settings taken from `env` when set. */
export function cliConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const settings = Object.fromEntries(CONFIG_KEYS.flatMap((key) => (env[key] ? [[key, env[key]]] : [])))
  // Placeholder secrets only satisfy loadConfig: nothing here signs tokens or peppers codes.
  return loadConfig({ OTP_PEPPER: 'x'.repeat(32), JWT_SECRET_KEY: 'x'.repeat(32), ...settings })
}

function field(schema: z.ZodType<string>, label: string, value: string, message?: string): string {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new Refusal(`${label} refused: ${message ?? parsed.error.issues[0]?.message ?? 'invalid'}`)
  return parsed.data
}

function phoneOf(input: string, config: Config): string {
  try {
    return parsePhone(input, config)
  } catch {
    const countries = config.ALLOWED_COUNTRIES.length > 0 ? ` from ${config.ALLOWED_COUNTRIES.join(', ')}` : ''
    throw new Refusal(`phone refused: '${input}' is not a valid mobile phone number${countries}`)
  }
}

/** Parses and validates the command line; throws a Refusal naming the first problem. */
export function parseInput(argv: string[], config: Config): SuperAdminInput {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(argv).values
  } catch (err) {
    throw new Refusal(`${(err as Error).message}\n${USAGE}`)
  }
  if (values.username === undefined || values.password === undefined) {
    throw new Refusal(`--username and --password are required\n${USAGE}`)
  }
  if (values.remote && values['persist-to'] !== undefined) throw new Refusal('--persist-to applies to the local D1 only')
  // The top level of wrangler.toml is local development: its D1 id is a placeholder.
  if (values.remote && !values.env)
    throw new Refusal('--remote needs --env (e.g. --env production): the deployed D1 of that environment')
  const username = normalizeUsername(field(UsernameField, 'username', values.username, USERNAME_RULE))
  const phone = values.phone === undefined ? null : phoneOf(values.phone, config)
  const email = values.email === undefined ? null : normalizeEmail(field(EmailField, 'email', values.email))
  const name = values.name === undefined ? null : field(NameField, 'name', values.name)
  const problem = passwordProblem(values.password, config, { phone, email, username })
  if (problem) throw new Refusal(`password refused: ${problem}`)
  return {
    username,
    password: values.password,
    phone,
    email,
    name,
    remote: values.remote,
    persistTo: values['persist-to'],
    env: values.env,
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      username: { type: 'string' },
      password: { type: 'string' },
      phone: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      remote: { type: 'boolean', default: false },
      'persist-to': { type: 'string' },
      env: { type: 'string' },
    },
  })
}
