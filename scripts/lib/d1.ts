// The `DB` binding of wrangler.toml, reached through `wrangler d1` so the CLI writes exactly where
// `wrangler dev` (local) or the deployed Worker (--remote) reads.
import { spawnSync } from 'node:child_process'
import { z } from 'zod'

const WRANGLER = `node_modules/.bin/${process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler'}`

/**
 * The local D1 of `wrangler dev` (in `persistTo` when given) or the deployed one, of the top level
 * of wrangler.toml or of its environment `env` (`[env.production]`: `--env production`).
 */
export interface D1Target {
  remote: boolean
  persistTo?: string | undefined
  env?: string | undefined
}

export type SqlValue = string | number | boolean | null

export class D1Error extends Error {
  override name = 'D1Error'
}

const Results = z.array(z.object({ results: z.array(z.record(z.string(), z.unknown())) }))
const Failure = z.object({ error: z.object({ text: z.string() }) })

/** The wrangler arguments that pick `target`. */
export function d1TargetArgs(target: D1Target): string[] {
  const env = target.env ? ['--env', target.env] : []
  if (target.remote) return ['--remote', ...env]
  return ['--local', ...(target.persistTo ? ['--persist-to', target.persistTo] : []), ...env]
}

function wrangler(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(WRANGLER, args, { encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 })
}

/** Applies pending migrations to the local D1, as `npm run dev` does before `wrangler dev`. */
export function applyLocalMigrations(target: D1Target): void {
  // CI=1: apply without asking for confirmation.
  const run = wrangler(['d1', 'migrations', 'apply', 'DB', ...d1TargetArgs(target)], { ...process.env, CI: '1' })
  if (run.status !== 0) throw new D1Error(`applying local migrations failed:\n${run.stdout}${run.stderr}`)
}

/** Runs one SQL statement and returns its rows; a failure throws a D1Error with D1's message. */
export function d1Query(target: D1Target, sql: string): Record<string, unknown>[] {
  return d1Queries(target, sql).flat()
}

/** Runs `;`-separated statements in one call and returns the rows of each; a failure throws a D1Error. */
export function d1Queries(target: D1Target, sql: string): Record<string, unknown>[][] {
  // --command, not --file: with --remote a file goes through D1's import, which takes the database offline.
  const { output, failed } = execute(target, ['--command', sql])
  const results = Results.safeParse(output)
  if (!results.success) throw failed()
  return results.data.map((r) => r.results)
}

/**
 * Runs the statements of a SQL file in one call, as one transaction (locally through miniflare;
 * with --remote through D1's import, during which the database answers no other query).
 */
export function d1ExecuteFile(target: D1Target, path: string): void {
  execute(target, ['--file', path])
}

/**
 * `wrangler d1 execute --json` with `input`: its parsed output, or a D1Error with D1's message
 * (or wrangler's output) when it failed; `failed` builds that error for an unreadable answer.
 */
function execute(target: D1Target, input: string[]): { output: unknown; failed: () => D1Error } {
  const run = wrangler(['d1', 'execute', 'DB', ...d1TargetArgs(target), '--json', ...input])
  const failed = () => new D1Error(`wrangler d1 execute failed:\n${run.stdout}${run.stderr}`)
  let output: unknown
  try {
    output = JSON.parse(run.stdout)
  } catch {
    throw failed()
  }
  const failure = Failure.safeParse(output)
  if (failure.success) throw new D1Error(failure.data.error.text)
  if (run.status !== 0) throw failed()
  return { output, failed }
}

/**
 * A SQL literal for `value`. Text goes in as UTF-8 hex (`CAST(X'…' AS TEXT)`), never inside
 * quotes: wrangler splits commands on `;` and deletes `BEGIN TRANSACTION;`/`COMMIT;` anywhere in
 * the text, string literals included, so hex is the one form it cannot alter or break out of.
 */
export function sqlValue(value: SqlValue): string {
  if (value === null) return 'NULL'
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new D1Error(`not an integer: ${value}`)
    return String(value)
  }
  if (value.includes('\0')) throw new D1Error('text must not contain NUL characters')
  return `CAST(X'${Buffer.from(value, 'utf8').toString('hex')}' AS TEXT)`
}

/** `INSERT INTO table (…) VALUES (…)` with every value a literal of `sqlValue`. */
export function insertSql(table: string, row: Record<string, SqlValue>): string {
  const columns = Object.keys(row)
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => sqlValue(row[c] ?? null)).join(', ')})`
}
