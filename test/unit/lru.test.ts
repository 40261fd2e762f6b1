import { describe, expect, it } from 'vitest'
import { lru } from '../../src/lib/lru'

describe('lru: the one bounded cache', () => {
  it('forgets the least recently used entry past its cap', () => {
    const cache = lru<string, number>({ max: 2 })
    cache.set('a', 1)
    cache.set('b', 2)
    expect(cache.get('a')).toBe(1) // used: now the most recent
    cache.set('c', 3)
    expect(cache.size).toBe(2)
    expect(cache.peek('b')).toBeUndefined()
    expect(cache.peek('a')).toBe(1)
    expect(cache.peek('c')).toBe(3)
  })

  it('leaves the order alone on peek: the oldest written goes first', () => {
    const cache = lru<string, number>({ max: 2 })
    cache.set('a', 1)
    cache.set('b', 2)
    expect(cache.peek('a')).toBe(1)
    cache.set('c', 3)
    expect(cache.peek('a')).toBeUndefined()
    expect([...cache.values()]).toEqual([2, 3])
  })

  it('makes a rewritten key the newest, without growing', () => {
    const cache = lru<string, number>({ max: 2 })
    cache.set('a', 1)
    cache.set('b', 2)
    cache.set('a', 10)
    cache.set('c', 3)
    expect(cache.peek('b')).toBeUndefined()
    expect(cache.peek('a')).toBe(10)
  })

  it('never returns an entry past its expiry, given per cache or per entry', () => {
    let now = 1000
    const cache = lru<string, number>({ max: 10, ttlMs: 100, clock: () => now })
    cache.set('a', 1)
    cache.set('b', 2, 500)
    now += 99
    expect(cache.get('a')).toBe(1)
    now += 1
    expect(cache.get('a')).toBeUndefined()
    expect(cache.size).toBe(1)
    expect(cache.peek('b')).toBe(2)
    now += 400
    expect(cache.peek('b')).toBeUndefined()
  })

  it('keeps entries without a lifetime until evicted or deleted', () => {
    const cache = lru<string, number>({ max: 10, clock: () => Number.MAX_SAFE_INTEGER })
    cache.set('a', 1)
    expect(cache.get('a')).toBe(1)
    expect(cache.delete('a')).toBe(true)
    expect(cache.get('a')).toBeUndefined()
  })
})
