import { describe, expect, it } from 'vitest'
import { SUPPORTED_LOCALES } from '../../src/config'
import { PAGE_CATALOGUES, translator } from '../../src/i18n/pages'
import { en } from '../../src/i18n/pages/en'

// SPEC §15: one catalogue shape for the hosted pages, the English one defining the keys.

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('the hosted pages catalogues', () => {
  for (const locale of SUPPORTED_LOCALES) {
    it(`${locale} has every key of en, no other, each with the same placeholders`, () => {
      const catalogue = PAGE_CATALOGUES[locale]
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort())
      for (const [key, text] of Object.entries(en)) {
        const translated = catalogue[key as keyof typeof en]
        expect(translated.trim().length, key).toBeGreaterThan(0)
        expect(placeholders(translated), key).toEqual(placeholders(text))
      }
    })
  }

  it('translates rather than copies: French and Arabic differ from English', () => {
    for (const locale of ['fr', 'ar'] as const) {
      const same = Object.entries(en).filter(([k, v]) => PAGE_CATALOGUES[locale][k as keyof typeof en] === v)
      expect(same, locale).toEqual([])
    }
    for (const text of Object.values(PAGE_CATALOGUES.ar)) expect(text).toMatch(/[\u0600-\u06ff]/)
  })

  it('fills placeholders and leaves unknown ones', () => {
    expect(translator('fr')('continue_to', { client: 'Souk' })).toBe('pour continuer vers Souk')
    expect(translator('ar')('continue_to', { client: 'Souk' })).toBe('للمتابعة إلى Souk')
    expect(translator('en')('continue_to')).toBe('to continue to {client}')
  })
})
