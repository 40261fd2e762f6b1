import type { Db } from './db/client'

export type ProbeResult = 'ok' | 'fail'

const outcome = (p: Promise<unknown>): Promise<ProbeResult> =>
  p.then(
    () => 'ok' as const,
    () => 'fail' as const,
  )

/** Touches D1 and KV once each (in parallel) and tells which answered; never throws. */
export function healthProbe(db: Db, kv: KVNamespace) {
  return {
    async probe(): Promise<{ db: ProbeResult; kv: ProbeResult }> {
      const [d1, store] = await Promise.all([outcome(db.run('SELECT 1')), outcome(kv.get('health:probe'))])
      return { db: d1, kv: store }
    },
  }
}

export type HealthProbe = ReturnType<typeof healthProbe>
