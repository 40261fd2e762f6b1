import { describe, expect, it } from 'vitest'
import { SUPPORTED_LOCALES } from '../../src/config'
import { fill, MESSAGES, type Messages, placeholdersOf } from '../../src/i18n/messages'

/** Every text of a catalogue by its dotted key (functions, such as `minutes`, are named with `()`). */
function leaves(node: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>()
  if (typeof node === 'string' || typeof node === 'function') {
    out.set(typeof node === 'function' ? `${prefix}()` : prefix, node)
    return out
  }
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    for (const [k, v] of leaves(value, prefix ? `${prefix}.${key}` : key)) out.set(k, v)
  }
  return out
}

const english = leaves(MESSAGES.en)
const OTHERS = SUPPORTED_LOCALES.filter((l) => l !== 'en')
const ARABIC_LETTER = /[\u0621-\u064a]/
/** A text with words of its own, besides placeholders and punctuation (`{label}: {link}` has none). */
const hasWords = (value: unknown): value is string => typeof value === 'string' && /\p{L}/u.test(value.replace(/\{\w+\}/g, ''))

describe('the SMS and email catalogues (src/i18n/messages)', () => {
  it('has a catalogue for every supported locale', () => {
    expect(Object.keys(MESSAGES).sort()).toEqual([...SUPPORTED_LOCALES].sort())
    expect(english.size).toBeGreaterThan(30)
  })

  it.each(OTHERS)('%s has exactly the keys English defines', (locale) => {
    expect([...leaves(MESSAGES[locale]).keys()].sort()).toEqual([...english.keys()].sort())
  })

  it.each(SUPPORTED_LOCALES)('%s: every text is non-empty, trimmed and uses the placeholders English uses', (locale) => {
    for (const [key, value] of leaves(MESSAGES[locale])) {
      if (typeof value !== 'string') continue
      expect(value.trim(), key).toBe(value)
      expect(value.length, key).toBeGreaterThan(1)
      expect(placeholdersOf(value), `${locale} ${key}`).toEqual(placeholdersOf(english.get(key) as string))
    }
  })

  it.each(OTHERS)('%s translates every text that has words (none is left in English)', (locale) => {
    for (const [key, value] of leaves(MESSAGES[locale])) {
      if (hasWords(value)) expect(value, key).not.toBe(english.get(key))
    }
  })

  it('writes every Arabic text that has words in Arabic', () => {
    for (const [key, value] of leaves(MESSAGES.ar)) {
      if (hasWords(value)) expect(value, key).toMatch(ARABIC_LETTER)
    }
  })

  it.each<[keyof typeof MESSAGES, number, string]>([
    ['en', 1, '1 minute'],
    ['en', 10, '10 minutes'],
    ['fr', 1, '1 minute'],
    ['fr', 60, '60 minutes'],
    ['ar', 1, 'دقيقة'],
    ['ar', 2, 'دقيقتين'],
    ['ar', 3, '3 دقائق'],
    ['ar', 10, '10 دقائق'],
    ['ar', 11, '11 دقيقة'],
    ['ar', 60, '60 دقيقة'],
    ['ar', 103, '103 دقائق'],
    ['ar', 1440, '1440 دقيقة'],
  ])('%s says %i minutes as "%s" (plural rules)', (locale, n, said) => {
    expect((MESSAGES[locale] as Messages).minutes(n)).toBe(said)
  })
})

describe('fill', () => {
  it('replaces each placeholder once, without reading the values as templates', () => {
    expect(fill('Hello {name}, your {app} code', { name: '{app}', app: 'edge-auth' })).toBe('Hello {app}, your edge-auth code')
  })

  it('leaves a placeholder it has no value for', () => {
    expect(fill('{a} {b}', { a: 1 })).toBe('1 {b}')
  })
})
