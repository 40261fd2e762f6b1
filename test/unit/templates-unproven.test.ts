import { describe, expect, it } from 'vitest'
import { codeEmail, noticeEmail } from '../../src/templates/email'

// SPEC §6.6: mail to an address its account has not verified never carries text the account chose.
const NAME = 'IT desk: re-login at evil.example'

describe('mail to an address nobody has verified', () => {
  it('register and email_change codes never greet by name', () => {
    for (const purpose of ['register', 'email_change'] as const) {
      const mail = codeEmail({
        app: 'edge-auth',
        to: 'a@example.tn',
        locale: 'en',
        purpose,
        code: '482913',
        minutes: 10,
        name: NAME,
      })
      expect(mail.text.startsWith('Hello,\n')).toBe(true)
      expect(mail.text + mail.html + mail.subject).not.toContain('IT desk')
    }
  })

  it('login and reset codes (sent only to verified addresses) still do', () => {
    const mail = codeEmail({
      app: 'edge-auth',
      to: 'a@example.tn',
      locale: 'en',
      purpose: 'reset',
      code: '482913',
      minutes: 10,
      name: 'Leila',
    })
    expect(mail.text.startsWith('Hello Leila,\n')).toBe(true)
  })

  it('the email-changed notice names what happened', () => {
    const mail = noticeEmail({ app: 'edge-auth', to: 'a@example.tn', locale: 'en', what: 'email_changed' })
    expect(mail.subject).toBe('Your edge-auth email address was changed')
    expect(mail.text).toMatch(/no longer signs in or receives resets/)
  })
})
