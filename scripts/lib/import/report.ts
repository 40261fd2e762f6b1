// What an import tells its operator: each refused or conflicting line with its reason, the
// fields it ignored, then the counts (imported, skipped as already there, refused).
import type { Decision } from './plan'

/** One line per refused record and per record skipped for a conflict, in file order. */
export function decisionLines(decisions: Decision[]): string[] {
  return decisions.flatMap((d) => {
    if (d.outcome === 'refuse') return [`line ${d.line}: refused: ${d.reason}`]
    if (d.outcome === 'skip' && d.reason) return [`line ${d.line}: skipped: ${d.reason}`]
    return []
  })
}

/** `ignored fields: __v (1000 lines), otp (2 lines)`, or nothing. */
export function ignoredLine(ignored: Map<string, number>): string[] {
  if (ignored.size === 0) return []
  const list = [...ignored].map(([field, n]) => `${field} (${n} line${n === 1 ? '' : 's'})`).join(', ')
  return [`ignored fields (neither ours nor the seeds'): ${list}`]
}

const count = (decisions: Decision[], test: (d: Decision) => boolean) => decisions.filter(test).length

/** The counts, one per line: `imported: N (bcrypt n, …)`, `skipped: N (…)`, `refused: N`. */
export function summaryLines(decisions: Decision[], dryRun: boolean): string[] {
  const imported = decisions.filter((d) => d.outcome === 'import')
  const formats = new Map<string, number>()
  for (const d of imported) {
    const format = d.user?.hashFormat ?? 'no password'
    formats.set(format, (formats.get(format) ?? 0) + 1)
  }
  const byFormat = [...formats].map(([f, n]) => `${f} ${n}`).join(', ')
  const already = count(decisions, (d) => d.outcome === 'skip' && !d.reason)
  const conflicts = count(decisions, (d) => d.outcome === 'skip' && !!d.reason)
  const refused = count(decisions, (d) => d.outcome === 'refuse')
  return [
    ...(dryRun ? ['Dry run: nothing was written. It would do this:'] : []),
    `imported: ${imported.length}${byFormat ? ` (${byFormat})` : ''}`,
    `skipped: ${already + conflicts} (already there: ${already}; phone, email, username or device of another account: ${conflicts})`,
    `refused: ${refused}`,
  ]
}
