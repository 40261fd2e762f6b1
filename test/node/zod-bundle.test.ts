import { describe, expect, it } from 'vitest'
import * as zod from 'zod'
// @ts-expect-error: a plain ESM file of the bundle (wrangler.toml alias), no types
import * as shim from '../../scripts/bundle/zod.mjs'

// The deployable bundle's `zod` (wrangler.toml [alias] → scripts/bundle/zod.mjs) is zod's classic
// API without the `locales` namespaces esbuild cannot shake. It must stay export for export what
// zod is, so a zod upgrade that adds or moves an export fails here, not in production.

const without = (keys: string[], name: string) => keys.filter((k) => k !== name).sort()

describe('the bundle’s zod', () => {
  it('has every export of zod but locales', () => {
    expect(Object.keys(shim).sort()).toEqual(without(Object.keys(zod), 'locales'))
    expect(Object.keys(zod)).toContain('locales')
  })

  it('has every export of z.core but locales', () => {
    expect(Object.keys(shim.core).sort()).toEqual(without(Object.keys(zod.core), 'locales'))
  })

  it('is the same zod: the same classes, and English messages without a config call', () => {
    expect(shim.ZodObject).toBe(zod.ZodObject)
    expect(shim.z.object).toBe(zod.z.object)
    const result = shim.z.object({ name: shim.z.string() }).safeParse({ name: 1 })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toBe('Invalid input: expected string, received number')
  })
})
