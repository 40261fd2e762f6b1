import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile'
import type { Config } from '../config'
import { AppError } from '../errors'
import { lru } from '../lib/lru'

/** A phone number in E.164 form, as stored and returned. */
export type E164 = string & { readonly __brand: 'E164' }

interface ValidPhone {
  number: E164
  country: string | undefined
}

// Parsing and validating a number walks libphonenumber's metadata: about 0.2 ms in a Worker that
// has not warmed the code up, on every login, code request and verify of a phone. Valid numbers
// are remembered per isolate (a bounded map, oldest forgotten first); invalid ones are not.
export const VALID_PHONES_REMEMBERED = 1000
const validPhones = lru<string, ValidPhone>({ max: VALID_PHONES_REMEMBERED })

/** A valid mobile number (no extension) in E.164 and its country, or undefined. */
export function validMobile(input: string, defaultCountry?: string): ValidPhone | undefined {
  const key = `${defaultCountry ?? ''}|${input}`
  const known = validPhones.peek(key)
  if (known) return known
  const parsed = input.length <= 40 ? parsePhoneNumberFromString(input, { defaultCountry: defaultCountry as never }) : undefined
  if (!parsed?.isValid() || parsed.ext) return undefined
  const valid = { number: parsed.number as E164, country: parsed.country }
  validPhones.set(key, valid)
  return valid
}

/**
 * What a typed phone may contain (SPEC §4): ASCII digits, spaces and `+ - . ( )`. libphonenumber
 * finds a number inside any text (`😀📱 98 765 432`), so anything else is refused before it looks.
 */
export const PHONE_CHARACTERS = /^[0-9 +\-.()]+$/

const invalidPhone = (field: string) =>
  new AppError('validation_error', 'Request validation failed', { fields: { [field]: 'Must be a valid mobile phone number' } })

/**
 * Parses a phone number the way people type it (`98 765 432`, `+216 98 765 432`,
 * `0021698765432`) into E.164, using DEFAULT_COUNTRY for national formats. Only valid mobile
 * numbers pass; ALLOWED_COUNTRIES, when set, is a default-deny allow-list.
 */
export function parsePhone(input: string, config: Config, field = 'phone'): E164 {
  // Checked here, the one parsing point of every endpoint that takes a phone.
  if (!PHONE_CHARACTERS.test(input)) throw invalidPhone(field)
  const parsed = validMobile(input, config.DEFAULT_COUNTRY)
  if (!parsed) throw invalidPhone(field)
  if (config.ALLOWED_COUNTRIES.length > 0 && !config.ALLOWED_COUNTRIES.includes(parsed.country ?? '')) {
    throw new AppError('phone_country_not_allowed', 'Phone numbers from this country are not accepted', {
      fields: { [field]: 'Country not allowed' },
    })
  }
  return parsed.number
}

/** Trimmed and lower-cased; the schema has already checked the syntax and length. */
export function normalizeEmail(input: string): string {
  return input.trim().toLowerCase()
}

/** Usernames are case-insensitive: stored and compared lower-cased. */
export function normalizeUsername(input: string): string {
  return input.trim().toLowerCase()
}
