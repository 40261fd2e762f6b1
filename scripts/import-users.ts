// `npm run import-users -- FILE [--pool P] [--remote --env E] [--dry-run]` (SPEC §13): imports the
// accounts of a JSON Lines file, in our field names or a seed's, into the local D1 that
// `npm run dev` uses, or with --remote into an environment's deployed D1. docs/migrating.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyLocalMigrations, D1Error, type D1Target, d1ExecuteFile, d1TargetArgs } from './lib/d1'
import { deploymentConfig, type ImportOptions, parseOptions, poolSettings, Refusal } from './lib/import/options'
import { type Decision, type Existing, emptyExisting, planImport } from './lib/import/plan'
import { RecordProblem } from './lib/import/problem'
import { readRecord } from './lib/import/record'
import { decisionLines, ignoredLine, summaryLines } from './lib/import/report'
import { sqlFiles } from './lib/import/sql'
import { readExisting } from './lib/import/state'
import { type ImportUser, type RecordContext, validateRecord } from './lib/import/validate'

interface ReadFile {
  refused: Decision[]
  valid: { line: number; user: ImportUser }[]
  ignored: Map<string, number>
}

/** Every non-blank line of the file read and checked; refusals carry their line number. */
function readLines(text: string, ctx: RecordContext): ReadFile {
  const out: ReadFile = { refused: [], valid: [], ignored: new Map() }
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = i + 1
    if (raw.trim() === '') continue
    const read = readRecord(raw)
    if ('problem' in read) {
      out.refused.push({ line, outcome: 'refuse', reason: read.problem })
      continue
    }
    for (const field of read.ignored) out.ignored.set(field, (out.ignored.get(field) ?? 0) + 1)
    try {
      out.valid.push({ line, user: validateRecord(read.record, ctx) })
    } catch (err) {
      if (!(err instanceof RecordProblem)) throw err
      out.refused.push({ line, outcome: 'refuse', reason: err.message })
    }
  }
  return out
}

/** What D1 holds; an unmigrated D1 holds nothing for a dry run and is a refusal otherwise. */
function existingIn(options: ImportOptions): Existing {
  try {
    return readExisting(options.target, options.pool)
  } catch (err) {
    if (!(err instanceof D1Error && err.message.includes('no such table'))) throw err
    if (options.dryRun) return emptyExisting()
    const apply = `npx wrangler d1 migrations apply DB ${d1TargetArgs(options.target).join(' ')}`
    throw new Refusal(`D1 refused: ${err.message}\nApply the migrations first: ${apply}`)
  }
}

/** Writes the accounts, a file of statements per wrangler call, with progress on stdout. */
function write(target: D1Target, users: ImportUser[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'import-users-'))
  try {
    const files = sqlFiles(users)
    let written = 0
    files.forEach((file, i) => {
      const path = join(dir, `batch-${i + 1}.sql`)
      writeFileSync(path, file.sql)
      try {
        d1ExecuteFile(target, path)
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        throw new D1Error(
          `${message}\nStopped after ${written} accounts; run the same command again to go on (it skips what is there).`,
        )
      }
      written += file.users.length
      console.log(`wrote ${written} of ${users.length} accounts (call ${i + 1} of ${files.length})`)
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Decisions to import whose account is not in D1 afterwards: an identifier taken meanwhile (a registration during the import). */
function confirmWritten(options: ImportOptions, decisions: Decision[]): Decision[] {
  const after = readExisting(options.target, options.pool, false)
  return decisions.map((d) => {
    if (d.outcome !== 'import' || !d.user || after.accounts.get(d.user.id)?.pool === options.pool) return d
    return {
      line: d.line,
      outcome: 'skip',
      reason: 'another account took its phone, email, username or device during the import',
    }
  })
}

async function main(): Promise<void> {
  const started = Date.now()
  const options = parseOptions(process.argv.slice(2))
  const settings = poolSettings(deploymentConfig(options.target), options.pool, options.configSource)
  if (settings.warning) console.error(settings.warning)
  let text: string
  try {
    text = readFileSync(options.file, 'utf8')
  } catch (err) {
    throw new Refusal(`cannot read ${options.file}: ${(err as Error).message}`)
  }
  const file = readLines(text, { pool: options.pool, config: settings.config, now: Date.now() })

  if (!options.target.remote && !options.dryRun) applyLocalMigrations(options.target)
  let decisions = planImport(file.valid, existingIn(options))
  const toWrite = decisions.flatMap((d) => (d.outcome === 'import' && d.user ? [d.user] : []))
  if (!options.dryRun && toWrite.length > 0) {
    write(options.target, toWrite)
    decisions = confirmWritten(options, decisions)
  }

  const all = [...file.refused, ...decisions].sort((a, b) => a.line - b.line)
  for (const line of [...decisionLines(all), ...ignoredLine(file.ignored)]) console.log(line)
  const where = `${options.target.remote ? 'the deployed D1' : 'the local D1'}${options.target.env ? ` of --env ${options.target.env}` : ''}`
  console.log(`Pool ${options.pool} of ${where}, ${((Date.now() - started) / 1000).toFixed(1)} s:`)
  for (const line of summaryLines(all, options.dryRun)) console.log(`  ${line}`)
  // 2: done, but some lines were refused (scripts can tell "all in" from "look at the report").
  process.exitCode = all.some((d) => d.outcome === 'refuse') ? 2 : 0
}

main().catch((err: unknown) => {
  if (err instanceof Refusal) console.error(err.message)
  else if (err instanceof D1Error) console.error(`D1 refused: ${err.message}`)
  else console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
