import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors'
import { PHONE_CHARACTERS, parsePhone } from '../../src/services/identifiers'
import { testConfig } from '../helpers/config'

const config = testConfig()

function refusal(input: string) {
  try {
    parsePhone(input, config)
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, fields: err.extra.fields }
    throw err
  }
  throw new Error(`${JSON.stringify(input)} was accepted`)
}

describe('the characters a typed phone may contain (SPEC §4)', () => {
  it.each(['98 765 432', '+216 98 765 432', '0021698765432', '+216-98-765-432', '(+216) 98.765.432'])(
    'accepts digits, spaces and + - . ( ): %s',
    (input) => {
      expect(parsePhone(input, config)).toBe('+21698765432')
    },
  )

  it.each([
    ['emoji before the number', '😀📱 98 765 432'],
    ['a number inside text', 'call me at 98 765 432'],
    ['letters after the number', '98 765 432 please'],
    ['a letter inside the number', '98 765 4a32'],
    ['a slash', '98/765/432'],
    ['a tab', '98\t765\t432'],
    ['a non-breaking space', '98\u00a0765\u00a0432'],
    ['Arabic-Indic digits', '٩٨٧٦٥٤٣٢'],
    ['full-width digits', '９８７６５４３２'],
    ['an extension marker', '+216 98 765 432 ext 12'],
    ['a newline', '98 765 432\n'],
  ])('refuses %s with validation_error on the field, before libphonenumber reads it', (_, input) => {
    expect(refusal(input)).toEqual({ code: 'validation_error', fields: { phone: 'Must be a valid mobile phone number' } })
  })

  it('names the field it was given', () => {
    expect(() => parsePhone('📱98765432', config, 'new_phone')).toThrow(AppError)
    try {
      parsePhone('📱98765432', config, 'new_phone')
    } catch (err) {
      expect((err as AppError).extra.fields).toEqual({ new_phone: 'Must be a valid mobile phone number' })
    }
  })

  it('still refuses allowed characters that make no valid mobile', () => {
    expect(refusal('+-.() 12')).toEqual({ code: 'validation_error', fields: { phone: 'Must be a valid mobile phone number' } })
  })

  it('the pattern matches nothing but the allowed set', () => {
    expect(PHONE_CHARACTERS.test('0123456789 +-.()')).toBe(true)
    for (const ch of ['a', 'Z', '_', '/', '#', '*', ',', ';', 'x', '٠', '\u200b'])
      expect(PHONE_CHARACTERS.test(`98${ch}765432`)).toBe(false)
  })
})
