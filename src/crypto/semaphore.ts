/** A counting semaphore: at most `limit` callers run `use(fn)` at once, the rest wait in order. */
export function semaphore(limit: number) {
  let active = 0
  const waiting: Array<() => void> = []
  return async function use<T>(fn: () => Promise<T>): Promise<T> {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    else active++
    try {
      return await fn()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}
