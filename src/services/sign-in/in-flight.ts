import type { Deps } from '../../deps'
import type { AttemptKeys } from '../../storage/repos/password-attempts'

/** An admitted password attempt: settle it once with whether the password was right. */
export interface Attempt {
  settle(ok: boolean): void
}

// Attempts of this isolate being checked, by lockout row: a waiting attempt wakes when one settles.
const settling = new Map<string, Set<Promise<void>>>()

/**
 * An attempt admitted on `keys` (holding the slots `held` says), registered as being checked in
 * this isolate until it settles. Settling records the outcome after the answer.
 */
export function admitted(deps: Deps, keys: AttemptKeys, held: { identifier: boolean; pair: boolean }): Attempt {
  let done: () => void = () => {}
  const settled = new Promise<void>((resolve) => {
    done = resolve
  })
  for (const key of [keys.identifier, keys.pair]) {
    const set = settling.get(key) ?? new Set()
    settling.set(key, set.add(settled))
  }
  let once = false
  return {
    settle(ok) {
      if (once) return
      once = true
      const now = deps.now()
      const rows = [
        { key: keys.identifier, held: held.identifier },
        { key: keys.pair, held: held.pair },
      ]
      const c = deps.config
      // After the answer: until it is written, the slot still counts, so nothing slips past.
      deps.defer(async () => {
        try {
          if (ok) await deps.passwordAttempts.clear(rows.map((r) => ({ ...r, now })))
          else {
            const limits = { now, threshold: c.LOGIN_LOCKOUT_THRESHOLD, maxMinutes: c.LOGIN_LOCKOUT_MAX_MINUTES }
            await deps.passwordAttempts.fail(rows.map((r) => ({ ...r, ...limits })))
          }
        } finally {
          for (const key of [keys.identifier, keys.pair]) {
            const set = settling.get(key)
            set?.delete(settled)
            if (set?.size === 0) settling.delete(key)
          }
          done()
        }
      })
    },
  }
}

/** Resolves when an attempt of this isolate on one of `keys` settles, or after `ms` (one in another isolate). */
export function waitForSettle(keys: string[], ms: number): Promise<void> {
  const local = keys.flatMap((key) => [...(settling.get(key) ?? [])])
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([...local, timeout]).finally(() => clearTimeout(timer))
}
