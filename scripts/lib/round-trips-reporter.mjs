// A vitest reporter for test/integration/round-trips.test.ts (issue 15): each test attaches its
// flow's storage calls to its meta (`recordFlow` in test/helpers/round-trips.ts); this prints them
// as one table, and writes them as JSON to $ROUND_TRIPS_OUT when set (`npm run bench` reads it).
//
//   npx vitest run test/integration/round-trips.test.ts --maxWorkers 1 --reporter default --reporter ./scripts/lib/round-trips-reporter.mjs
import { writeFileSync } from 'node:fs'

const cells = (t) => [String(t.d1), String(t.kvRead), String(t.kvWrite)]

/** The flows as a text table: D1 calls, KV reads and KV writes before the answer and after it (waitUntil). */
export function tripsTable(flows) {
  const rows = [
    ['flow', 'D1', 'KV r', 'KV w', 'D1', 'KV r', 'KV w', 'issue 15 floor', 'as asserted'],
    ...flows.map((f) => [f.flow, ...cells(f.before), ...cells(f.after), f.floor, f.passed ? 'yes' : 'NO: changed']),
  ]
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  const line = (r) =>
    r
      .map((x, c) => (c >= 1 && c <= 6 ? x.padStart(widths[c]) : x.padEnd(widths[c])))
      .join('  ')
      .trimEnd()
  const header = `${''.padEnd(widths[0])}  ${'before the answer'.padEnd(widths[1] + widths[2] + widths[3] + 4)}  after (waitUntil)`
  return [header, line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

export default class RoundTripsReporter {
  flows = []

  onTestCaseResult(testCase) {
    const flow = testCase.meta().roundTrips
    if (flow) this.flows.push({ ...flow, passed: testCase.result().state === 'passed' })
  }

  onTestRunEnd() {
    if (process.env.ROUND_TRIPS_OUT) writeFileSync(process.env.ROUND_TRIPS_OUT, JSON.stringify(this.flows))
    else if (this.flows.length) console.log(`\nstorage round trips per request (issue 15):\n${tripsTable(this.flows)}\n`)
  }
}
