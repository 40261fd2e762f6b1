import type { Locale } from '../../config'
import { ar } from './ar'
import { en, type PageCatalogue, type PageKey } from './en'
import { fr } from './fr'

export type { PageCatalogue, PageKey } from './en'

/** Every locale's catalogue of the hosted pages (SPEC §15). */
export const PAGE_CATALOGUES: Record<Locale, PageCatalogue> = { en, fr, ar }

/** A translator for one locale: `t('continue_to', { client })` fills `{client}`. */
export type Translate = (key: PageKey, values?: Record<string, string | number>) => string

/** The translator of a locale's catalogue. Values are inserted as given: the page escapes the result. */
export function translator(locale: Locale): Translate {
  const catalogue = PAGE_CATALOGUES[locale]
  return (key, values = {}) =>
    catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole))
}
