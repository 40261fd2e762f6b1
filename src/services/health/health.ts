import type { Deps } from '../../deps'

export interface Health {
  status: 'ok' | 'degraded'
  checks: { db: 'ok' | 'fail'; kv: 'ok' | 'fail' }
}

/** Touches D1 and KV once each; a failure of either makes the service degraded (503). */
export async function checkHealth(deps: Deps): Promise<Health> {
  const checks = await deps.health.probe()
  return { status: checks.db === 'ok' && checks.kv === 'ok' ? 'ok' : 'degraded', checks }
}
