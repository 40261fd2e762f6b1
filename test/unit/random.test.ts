import { describe, expect, it } from 'vitest'
import { idTime, newId, randomDigits, randomToken } from '../../src/crypto/random'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('randomDigits', () => {
  it.each([1, 4, 6, 10, 64, 300])('gives exactly %i decimal digits', (length) => {
    const code = randomDigits(length)
    expect(code).toHaveLength(length)
    expect(code).toMatch(/^\d+$/)
  })

  it('keeps leading zeros (codes are strings, not numbers)', () => {
    const codes = Array.from({ length: 200 }, () => randomDigits(6))
    expect(codes.some((c) => c.startsWith('0'))).toBe(true)
    expect(codes.every((c) => c.length === 6)).toBe(true)
  })

  it('spreads 20,000 digits evenly: each digit 8–12 %', () => {
    const counts = new Array<number>(10).fill(0)
    const digits = Array.from({ length: 200 }, () => randomDigits(100)).join('')
    expect(digits).toHaveLength(20_000)
    for (const d of digits) counts[Number(d)] = (counts[Number(d)] ?? 0) + 1
    for (const n of counts) {
      expect(n / 20_000).toBeGreaterThanOrEqual(0.08)
      expect(n / 20_000).toBeLessThanOrEqual(0.12)
    }
  })

  it('does not repeat itself', () => {
    const codes = new Set(Array.from({ length: 100 }, () => randomDigits(10)))
    expect(codes.size).toBe(100)
  })
})

describe('newId', () => {
  it('is a UUIDv7 (version 7, RFC 9562 variant)', () => {
    for (let i = 0; i < 50; i++) expect(newId()).toMatch(UUID_V7)
  })

  it.each([0, 1, 1_700_000_000_000, Date.UTC(2026, 3, 20, 12, 34, 56, 789), 2 ** 48 - 1])(
    'carries the given time %i in its first 48 bits',
    (time) => {
      const id = newId(time)
      expect(id).toMatch(UUID_V7)
      expect(idTime(id)).toBe(time)
    },
  )

  it('defaults to the current time', () => {
    const before = Date.now()
    const id = newId()
    expect(idTime(id)).toBeGreaterThanOrEqual(before)
    expect(idTime(id)).toBeLessThanOrEqual(Date.now())
  })

  it('sorts by creation time', () => {
    const ids = [3, 1, 2].map((t) => newId(1_700_000_000_000 + t * 1000))
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]])
  })

  it('differs for the same millisecond', () => {
    const t = Date.now()
    expect(new Set(Array.from({ length: 100 }, () => newId(t))).size).toBe(100)
  })
})

describe('randomToken', () => {
  it('gives 256 bits as unpadded base64url by default', () => {
    const token = randomToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(randomToken()).not.toBe(token)
  })
})
