import type { Locale } from '../../config'
import { ar } from './ar'
import { en, type Messages } from './en'
import { fr } from './fr'

export type { Messages } from './en'

/**
 * The SMS and email texts of every supported locale (SPEC §15), in one place: src/i18n/messages.
 * The hosted pages' strings are src/i18n/pages.
 */
export const MESSAGES: Readonly<Record<Locale, Messages>> = { en, fr, ar }

/** The catalogue of `locale`. */
export function messagesFor(locale: Locale): Messages {
  return MESSAGES[locale]
}

/** The values a text's `{placeholders}` take. */
export type Vars = Readonly<Record<string, string | number>>

const PLACEHOLDER = /\{(\w+)\}/g

/** `template` with each `{name}` replaced by `vars.name` (a placeholder without a value stays as is). */
export function fill(template: string, vars: Vars): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in vars ? String(vars[name]) : whole))
}

/** The `{placeholders}` a text uses, sorted (a catalogue test compares them across locales). */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string))].sort()
}
