// The command line of `npm run import-users` and the configuration the records are judged by:
// the vars of wrangler.toml (of `--env E`, else its top level), `.dev.vars` for the local D1,
// then the process environment, read through the service's own zod schema (src/config.ts).
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs, parseEnv } from 'node:util'
import { unstable_readConfig } from 'wrangler'
import { type Config, loadConfig, POOL_ID } from '../../../src/config'
import { DEFAULT_POOL, isPool, poolConfig } from '../../../src/pools'
import type { D1Target } from '../d1'

export const USAGE = 'usage: npm run import-users -- FILE [--pool P] [--remote --env E] [--dry-run]'

/** A refusal of the whole run (bad arguments, unusable configuration); printed as is, exit code 1. */
export class Refusal extends Error {
  override name = 'Refusal'
}

export interface ImportOptions {
  file: string
  pool: string
  dryRun: boolean
  target: D1Target
  /** Where the configuration came from, for messages ("wrangler.toml [env.production]"). */
  configSource: string
}

// The settings that decide whether a record passes; everything else is irrelevant to an import.
const KEYS = ['DEFAULT_COUNTRY', 'ALLOWED_COUNTRIES', 'END_USER_ROLES', 'USER_POOLS'] as const

/** Parses the command line; throws a Refusal naming the problem. */
export function parseOptions(argv: string[]): ImportOptions {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    throw new Refusal(`${(err as Error).message}\n${USAGE}`)
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1) throw new Refusal(`give exactly one FILE\n${USAGE}`)
  const pool = values.pool ?? DEFAULT_POOL
  if (!POOL_ID.test(pool)) throw new Refusal(`--pool: pool ids are [a-z0-9-]{1,32}, not '${pool}'`)
  if (values.remote && values['persist-to'] !== undefined) throw new Refusal('--persist-to applies to the local D1 only')
  // The top level of wrangler.toml is local development: its D1 id is a placeholder.
  if (values.remote && !values.env)
    throw new Refusal('--remote needs --env (e.g. --env production): the deployed D1 of that environment')
  const target = { remote: values.remote, persistTo: values['persist-to'], env: values.env }
  const configSource = `wrangler.toml${values.env ? ` [env.${values.env}]` : ''}${values.remote ? '' : ', .dev.vars'} and the environment`
  return { file: positionals[0] as string, pool, dryRun: values['dry-run'], target, configSource }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      pool: { type: 'string' },
      remote: { type: 'boolean', default: false },
      env: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'persist-to': { type: 'string' },
    },
  })
}

/** The deployment's Config (its import-relevant settings; defaults for the rest), as its Worker would read it. */
export function deploymentConfig(target: D1Target, processEnv: NodeJS.ProcessEnv = process.env): Config {
  const vars = unstable_readConfig({ config: 'wrangler.toml', env: target.env }).vars as Record<string, unknown>
  const devVars = !target.remote && existsSync('.dev.vars') ? parseEnv(readFileSync('.dev.vars', 'utf8')) : {}
  const layers = [vars, devVars, processEnv] as Record<string, unknown>[]
  const settings: Record<string, string> = {}
  for (const layer of layers) {
    for (const key of KEYS) if (typeof layer[key] === 'string' && layer[key] !== '') settings[key] = layer[key] as string
  }
  try {
    // Placeholder secrets only satisfy loadConfig: nothing here signs tokens or peppers codes.
    return loadConfig({ OTP_PEPPER: 'x'.repeat(32), JWT_SECRET_KEY: 'x'.repeat(32), ...settings })
  } catch (err) {
    throw new Refusal((err as Error).message)
  }
}

/** The configuration a pool's records are judged by, and a warning when the deployment does not serve that pool. */
export function poolSettings(config: Config, pool: string, source: string): { config: Config; warning?: string } {
  if (isPool(config, pool)) return { config: poolConfig(config, pool) }
  return {
    config: poolConfig(config, pool),
    warning:
      `warning: the pool '${pool}' is not in USER_POOLS (${source}): its accounts are imported, judged by the ` +
      'global settings, but cannot sign in until USER_POOLS defines the pool.',
  }
}
