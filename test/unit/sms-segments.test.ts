import { describe, expect, it } from 'vitest'
import { type Locale, SUPPORTED_LOCALES } from '../../src/config'
import { GSM7_BASIC, GSM7_EXTENSION } from '../../src/providers/sms/gsm7'
import { codeSms, mfaResetSms, phoneChangedSms, type SmsCodePurpose } from '../../src/templates/sms'

/** How a text is sent (GSM 03.38's table: one septet, its extension: two) and how many segments it takes (a concatenated SMS loses room to its header: 153 / 67). */
function segments(text: string): { encoding: 'GSM-7' | 'UCS-2'; units: number; count: number } {
  const chars = [...text]
  if (chars.every((ch) => GSM7_BASIC.has(ch) || GSM7_EXTENSION.has(ch))) {
    const units = chars.reduce((n, ch) => n + (GSM7_EXTENSION.has(ch) ? 2 : 1), 0)
    return { encoding: 'GSM-7', units, count: units <= 160 ? 1 : Math.ceil(units / 153) }
  }
  const units = text.length // UTF-16 code units: UCS-2's, a character outside the BMP taking two
  return { encoding: 'UCS-2', units, count: units <= 70 ? 1 : Math.ceil(units / 67) }
}

const PURPOSES: SmsCodePurpose[] = ['register', 'login', 'reset', 'email_change', 'phone_change']
const CODE = '1234567890' // OTP_LENGTH at its maximum, 10
const MINUTES = Array.from({ length: 60 }, (_, i) => i + 1) // OTP_EXPIRE_MINUTES: 1 to 60

/** Every text message of `locale` with `app` as APP_NAME: each code text at every code lifetime, and the notices. */
function allTexts(locale: Locale, app: string): string[] {
  return [
    ...PURPOSES.flatMap((purpose) => MINUTES.map((minutes) => codeSms({ app, locale, purpose, code: CODE, minutes }))),
    phoneChangedSms({ app, locale }),
    mfaResetSms({ app, locale }),
  ]
}

/** The longest APP_NAME (in characters of `letter`) with which every text of `locale` still fits one segment. */
function longestAppName(locale: Locale, letter = 'a'): number {
  let n = 1
  while (allTexts(locale, letter.repeat(n + 1)).every((t) => segments(t).count === 1)) n++
  return n
}

describe('segments (GSM 03.38 / UCS-2)', () => {
  it('counts GSM-7 septets, the extension table as two', () => {
    expect(segments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, count: 1 })
    expect(segments('a'.repeat(161)).count).toBe(2)
    expect(segments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, count: 1 })
    expect(segments('éèàùÉÇ').encoding).toBe('GSM-7')
    expect(GSM7_BASIC.size).toBe(128)
    expect(GSM7_EXTENSION.size).toBe(10)
  })

  it('sends as UCS-2 anything outside GSM-7 (ç, ê, a typographic apostrophe, Arabic), 70 a segment', () => {
    for (const text of ['ç', 'ê', 'l’accès', 'رمز']) expect(segments(text).encoding).toBe('UCS-2')
    expect(segments('ب'.repeat(70)).count).toBe(1)
    expect(segments('ب'.repeat(71)).count).toBe(2)
  })
})

describe('every text message fits one SMS segment (OTP_LENGTH 10, APP_NAME edge-auth)', () => {
  it.each(SUPPORTED_LOCALES)('%s', (locale) => {
    for (const text of allTexts(locale, 'edge-auth')) {
      expect(segments(text).count, `${text} (${segments(text).units} units)`).toBe(1)
    }
  })

  it.each(['en', 'fr'] as const)('%s texts are GSM-7 (160 a segment), never UCS-2', (locale) => {
    for (const text of allTexts(locale, 'edge-auth')) expect(segments(text).encoding, text).toBe('GSM-7')
  })

  it('ar texts are UCS-2 and stay within 70 characters', () => {
    for (const text of allTexts('ar', 'edge-auth')) {
      expect(segments(text).encoding).toBe('UCS-2')
      expect(text.length, text).toBeLessThanOrEqual(70)
    }
  })

  it('Arabic texts keep one segment with an APP_NAME of up to 15 characters (README: Languages)', () => {
    expect(longestAppName('ar')).toBeGreaterThanOrEqual(15)
    // A longer one makes a two-segment (134-character) text: still delivered, billed twice.
    const long = allTexts('ar', 'a'.repeat(30)).map(segments)
    expect(Math.max(...long.map((s) => s.count))).toBe(2)
  })

  it('English and French texts keep one segment with an APP_NAME of up to 30 characters', () => {
    expect(longestAppName('en')).toBeGreaterThanOrEqual(30)
    expect(longestAppName('fr')).toBeGreaterThanOrEqual(30)
  })
})
