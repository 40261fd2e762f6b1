import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors'
import { assertPasswordAllowed, PASSWORD_MAX_LENGTH, passwordProblem } from '../../src/services/passwords'
import { testConfig } from '../helpers/config'

const config = testConfig()
const nist = testConfig({ PASSWORD_REQUIRE_CLASSES: 'false', PASSWORD_MIN_LENGTH: '15' })
const ctx = { phone: '+21698765432', email: 'ahmed.bensalem@example.tn', username: 'ahmed.bs' }

describe('the default policy (seed 000: 8+ characters, upper, lower, digit)', () => {
  it('accepts a good password', () => {
    expect(passwordProblem('Tunis-Sol4r-2026', config, ctx)).toBeNull()
    expect(passwordProblem('Abcdef12', config)).toBeNull()
  })

  it('refuses fewer than PASSWORD_MIN_LENGTH characters', () => {
    expect(passwordProblem('Abcde12', config)).toBe('Must be at least 8 characters')
  })

  it('counts characters, not UTF-16 units or bytes', () => {
    // 7 characters, 14 UTF-16 units: still too short.
    expect(passwordProblem('Ab1😀😀😀😀', config)).toBe('Must be at least 8 characters')
    expect(passwordProblem('Ab1😀😀😀😀😀', config)).toBeNull()
  })

  it.each([
    ['no upper-case letter', 'tunis-sol4r-2026'],
    ['no lower-case letter', 'TUNIS-SOL4R-2026'],
    ['no digit', 'Tunis-Solar-Twenty'],
  ])('refuses a password with %s', (_, password) => {
    expect(passwordProblem(password, config)).toBe('Must contain an upper-case letter, a lower-case letter and a digit')
  })

  it('accepts letters and digits of any script for the classes', () => {
    expect(passwordProblem('Ĉhâteau-été-٣٤', config)).toBeNull()
  })

  it.each(['Password1', 'Password123', 'Qwerty123', 'Abcd1234', 'Passw0rd', 'Iloveyou1'])(
    'refuses the common password %j even though it meets the classes',
    (password) => {
      expect(passwordProblem(password, config)).toBe('This password is too common')
    },
  )

  it('refuses the phone number', () => {
    const lenient = testConfig({ PASSWORD_REQUIRE_CLASSES: 'false' })
    expect(passwordProblem('+21698765432', lenient, ctx)).toBe('Must not be your phone, email or username')
    expect(passwordProblem('21698765432', lenient, ctx)).toBe('Must not be your phone, email or username')
  })

  it('refuses the phone number as it is typed at home (national form)', () => {
    const lenient = testConfig({ PASSWORD_REQUIRE_CLASSES: 'false' })
    expect(passwordProblem('98765432', lenient, ctx)).toBe('Must not be your phone, email or username')
    expect(passwordProblem('0021698765432', lenient, ctx)).toBe('Must not be your phone, email or username')
    expect(passwordProblem('+216 98 765 432', lenient, ctx)).toBe('Must not be your phone, email or username')
    expect(passwordProblem('06 12 34 56 78', lenient, { phone: '+33612345678' })).toBe(
      'Must not be your phone, email or username',
    )
    expect(passwordProblem('98765433', lenient, ctx)).toBeNull()
  })

  it('refuses the email, whatever its case', () => {
    const withEmail = { email: 'ahmed1@example.tn' }
    expect(passwordProblem('Ahmed1@example.tn', config, withEmail)).toBe('Must not be your phone, email or username')
    expect(passwordProblem('AHMED1@EXAMPLE.tn', config, withEmail)).toBe('Must not be your phone, email or username')
  })

  it('refuses the username, whatever its case', () => {
    expect(passwordProblem('Station.Admin7', config, { username: 'station.admin7' })).toBe(
      'Must not be your phone, email or username',
    )
  })

  it('ignores identifiers that are absent', () => {
    expect(passwordProblem('Tunis-Sol4r-2026', config, { phone: null, email: null, username: null })).toBeNull()
  })

  it('accepts exactly 128 characters and refuses 129', () => {
    const base = 'Aa1'
    expect(passwordProblem(base + 'x'.repeat(PASSWORD_MAX_LENGTH - 3), config)).toBeNull()
    expect(passwordProblem(base + 'x'.repeat(PASSWORD_MAX_LENGTH - 2), config)).toBe('Must be at most 128 characters')
  })
})

describe('PASSWORD_REQUIRE_CLASSES=false with PASSWORD_MIN_LENGTH=15 (NIST SP 800-63B-4)', () => {
  it('accepts a long passphrase without classes', () => {
    expect(passwordProblem('correct horse battery staple', nist)).toBeNull()
    expect(passwordProblem('olive groves of sfax', nist)).toBeNull()
  })

  it('refuses fewer than 15 characters, whatever their classes', () => {
    expect(passwordProblem('Tunis-Sol4r-26', nist)).toBe('Must be at least 15 characters')
    expect(passwordProblem('olive-groves-tn', nist)).toBeNull()
  })

  it('still refuses common passwords and identifiers', () => {
    // One of the few 15+ character entries of the bundled top 10,000.
    expect(passwordProblem('mailcreated5240', nist)).toBe('This password is too common')
    expect(passwordProblem('ahmed.bensalem@example.tn', nist, ctx)).toBe('Must not be your phone, email or username')
  })

  it('still caps the length at 128', () => {
    expect(passwordProblem('a'.repeat(129), nist)).toBe('Must be at most 128 characters')
  })
})

describe('assertPasswordAllowed', () => {
  it('throws 400 validation_error naming the field', () => {
    const err = (() => {
      try {
        assertPasswordAllowed({ password: 'short', field: 'new_password' }, config, {})
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({
      code: 'validation_error',
      status: 400,
      extra: { fields: { new_password: 'Must be at least 8 characters' } },
    })
  })

  it('returns quietly for an allowed password', () => {
    expect(() => assertPasswordAllowed({ password: 'Tunis-Sol4r-2026' }, config, ctx)).not.toThrow()
  })
})
