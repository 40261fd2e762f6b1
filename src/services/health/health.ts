import type { Deps } from '../../deps'

export interface Health {
  status: 'ok' | 'degraded'
  checks: { db: 'ok' | 'fail'; kv: 'ok' | 'fail' }
}

/** Touches D1 and KV once each; a failure of either makes the service degraded (503). */
export async function checkHealth(deps: Deps): Promise<Health> {
  const [db, kv] = await Promise.all([
    deps.db.run('SELECT 1').then(
      () => 'ok' as const,
      () => 'fail' as const,
    ),
    deps.kv.get('health:probe').then(
      () => 'ok' as const,
      () => 'fail' as const,
    ),
  ])
  return { status: db === 'ok' && kv === 'ok' ? 'ok' : 'degraded', checks: { db, kv } }
}
