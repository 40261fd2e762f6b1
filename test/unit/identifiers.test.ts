import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors'
import {
  normalizeEmail,
  normalizeUsername,
  parsePhone,
  VALID_PHONES_REMEMBERED,
  validMobile,
} from '../../src/services/identifiers'
import { testConfig } from '../helpers/config'

const config = testConfig()

/** The AppError `fn` throws (fails the test when it throws nothing or something else). */
function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected an AppError')
}

describe('parsePhone', () => {
  it.each([
    '98 765 432',
    '98765432',
    '+216 98 765 432',
    '+21698765432',
    '0021698765432',
    '00216 98 765 432',
    '+216-98-765-432',
    '(+216) 98.765.432',
  ])('reads %j as +21698765432 (SPEC §4)', (input) => {
    expect(parsePhone(input, config)).toBe('+21698765432')
  })

  it('reads other Tunisian mobile ranges (2x, 5x, 9x)', () => {
    expect(parsePhone('20 123 456', config)).toBe('+21620123456')
    expect(parsePhone('55 123 456', config)).toBe('+21655123456')
    expect(parsePhone('92 123 456', config)).toBe('+21692123456')
  })

  it('reads a foreign mobile in international form', () => {
    expect(parsePhone('+33 6 12 34 56 78', config)).toBe('+33612345678')
  })

  it('parses national formats with DEFAULT_COUNTRY', () => {
    expect(parsePhone('06 12 34 56 78', testConfig({ DEFAULT_COUNTRY: 'FR' }))).toBe('+33612345678')
  })

  it.each([
    ['a Tunis landline', '71 123 456'],
    ['a Sfax landline', '+216 74 123 456'],
    ['a French landline', '+33 1 42 68 53 00'],
  ])('refuses %s with 400 validation_error', (_, input) => {
    const err = thrown(() => parsePhone(input, config))
    expect(err.code).toBe('validation_error')
    expect(err.status).toBe(400)
    expect(err.extra.fields).toEqual({ phone: 'Must be a valid mobile phone number' })
  })

  it.each(['+216 98 765 432 ext. 12', '+216 98 765 432 x12', '98 765 432 ext 7', '+21698765432;ext=12'])(
    'refuses a number with an extension: %j',
    (input) => {
      expect(thrown(() => parsePhone(input, config)).code).toBe('validation_error')
    },
  )

  it.each([
    ['letters', 'not a phone'],
    ['too few digits', '98 765'],
    ['too many digits', '98 765 432 1'],
    ['an empty string', ''],
    ['more than 40 characters', `+216 98 765 432${' '.repeat(30)}`],
  ])('refuses %s', (_, input) => {
    expect(thrown(() => parsePhone(input, config)).code).toBe('validation_error')
  })

  it('names the field it was given in the error', () => {
    expect(thrown(() => parsePhone('nope', config, 'new_phone')).extra.fields).toEqual({
      new_phone: 'Must be a valid mobile phone number',
    })
  })

  describe('with ALLOWED_COUNTRIES', () => {
    const tnOnly = testConfig({ ALLOWED_COUNTRIES: 'TN' })
    const tnAndFr = testConfig({ ALLOWED_COUNTRIES: 'TN, FR' })

    it('accepts numbers of an allowed country', () => {
      expect(parsePhone('98 765 432', tnOnly)).toBe('+21698765432')
      expect(parsePhone('+33 6 12 34 56 78', tnAndFr)).toBe('+33612345678')
    })

    it('refuses other countries with 400 phone_country_not_allowed', () => {
      const err = thrown(() => parsePhone('+33 6 12 34 56 78', tnOnly))
      expect(err.code).toBe('phone_country_not_allowed')
      expect(err.status).toBe(400)
      expect(err.extra.fields).toEqual({ phone: 'Country not allowed' })
      expect(thrown(() => parsePhone('+49 151 23456789', tnAndFr)).code).toBe('phone_country_not_allowed')
    })

    it('still refuses an invalid number as validation_error, not as a country problem', () => {
      expect(thrown(() => parsePhone('71 123 456', tnOnly)).code).toBe('validation_error')
    })
  })
})

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ahmed.Ben-Salem@Example.TN \n')).toBe('ahmed.ben-salem@example.tn')
  })

  it('gives one stored form for every spelling of the same address', () => {
    const forms = ['ahmed@example.tn', 'AHMED@EXAMPLE.TN', ' Ahmed@Example.tn', 'ahmed@example.tn\t']
    expect(new Set(forms.map(normalizeEmail))).toEqual(new Set(['ahmed@example.tn']))
  })
})

describe('normalizeUsername', () => {
  it('trims and lower-cases (usernames are case-insensitive)', () => {
    expect(normalizeUsername(' Root.Admin_1 ')).toBe('root.admin_1')
  })
})

describe('parsePhone remembers valid numbers per isolate', () => {
  it('keys what it remembers by the default country: a national number means another one elsewhere', () => {
    expect(parsePhone('06 12 34 56 78', testConfig({ DEFAULT_COUNTRY: 'FR' }))).toBe('+33612345678')
    expect(thrown(() => parsePhone('06 12 34 56 78', config)).code).toBe('validation_error')
    expect(parsePhone('06 12 34 56 78', testConfig({ DEFAULT_COUNTRY: 'FR' }))).toBe('+33612345678')
  })

  it('still applies ALLOWED_COUNTRIES to a remembered number', () => {
    expect(parsePhone('+21698765432', config)).toBe('+21698765432')
    const onlyFrance = testConfig({ ALLOWED_COUNTRIES: 'FR' })
    expect(thrown(() => parsePhone('+21698765432', onlyFrance)).code).toBe('phone_country_not_allowed')
  })

  it('stays right past its bound (the oldest numbers are forgotten, then parsed again)', () => {
    const numbers = Array.from({ length: VALID_PHONES_REMEMBERED + 50 }, (_, i) => `+21650${String(1_000_000 + i).slice(1)}`)
    for (const n of numbers) expect(parsePhone(n, config)).toBe(n)
    expect(parsePhone(numbers[0] as string, config)).toBe(numbers[0])
    expect(validMobile('+2165123')).toBeUndefined()
  })
})
