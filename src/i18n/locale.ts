import type { Config, Locale } from '../config'

/** Right-to-left languages among the supported ones. */
const RTL: ReadonlySet<Locale> = new Set(['ar'])

/** The writing direction of a locale's pages (`dir` on `<html>`). */
export function directionOf(locale: Locale): 'ltr' | 'rtl' {
  return RTL.has(locale) ? 'rtl' : 'ltr'
}

/** A language tag's primary subtag, lower-cased, if it is one of `allowed` (`fr-CA` → `fr`). */
function match(tag: string, allowed: readonly Locale[]): Locale | undefined {
  const primary = tag.trim().toLowerCase().split('-')[0] ?? ''
  return allowed.find((l) => l === primary)
}

/** Accept-Language's tags, highest quality first (q=0 excluded; ties keep their order). */
function acceptedTags(header: string): string[] {
  return header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      const quality = q ? Number(q.slice(2)) : 1
      return { tag: tag.trim(), quality: Number.isFinite(quality) ? quality : 0, i }
    })
    .filter((t) => t.tag && t.tag !== '*' && t.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.i - b.i)
    .map((t) => t.tag)
}

/** What a request says about its language. */
export interface LocaleHints {
  /** OpenID Connect `ui_locales`: space-separated tags, preferred first. */
  uiLocales?: string | undefined
  acceptLanguage?: string | undefined
}

/**
 * SPEC §15: the first of `ui_locales` that LOCALES has, then of Accept-Language (by quality),
 * then DEFAULT_LOCALE.
 */
export function chooseLocale(config: Pick<Config, 'LOCALES' | 'DEFAULT_LOCALE'>, hints: LocaleHints): Locale {
  const tags = [...(hints.uiLocales?.split(' ').slice(0, 20) ?? []), ...acceptedTags(hints.acceptLanguage ?? '')]
  for (const tag of tags) {
    const found = match(tag, config.LOCALES)
    if (found) return found
  }
  return config.DEFAULT_LOCALE
}

/** An account's stored locale if LOCALES still has it, else DEFAULT_LOCALE. */
export function accountLocale(config: Pick<Config, 'LOCALES' | 'DEFAULT_LOCALE'>, stored: string | null | undefined): Locale {
  return config.LOCALES.find((l) => l === stored) ?? config.DEFAULT_LOCALE
}
