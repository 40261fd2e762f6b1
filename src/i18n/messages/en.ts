/**
 * English: the catalogue of the SMS and email texts every other locale translates. Its keys are
 * the shape (`Messages`); `{app}`, `{code}`, `{minutes}`, `{name}` and `{link}` are filled in
 * by `fill`. SMS texts stay within one segment (test/unit/sms-segments.test.ts): 160 GSM-7
 * characters, 70 for a text that needs UCS-2 (Arabic).
 */
export const en = {
  /** A duration after "for" ("Valid for 10 minutes"). */
  minutes: (n: number): string => (n === 1 ? '1 minute' : `${n} minutes`),
  sms: {
    /** The text that carries a code, per purpose (SPEC §5). */
    code: {
      register: 'Your {app} verification code is {code}. Valid for {minutes}.',
      login: 'Your {app} login code is {code}. Valid for {minutes}.',
      reset: 'Your {app} password reset code is {code}. Valid for {minutes}.',
      email_change: 'Your {app} email confirmation code is {code}. Valid for {minutes}.',
      phone_change: 'Your {app} phone confirmation code is {code}. Valid for {minutes}.',
    },
    /** To the verified phone a new one replaced (SPEC §6.2). */
    phone_changed: 'Your {app} phone number was changed; this number no longer signs in. Not you? Contact support.',
    /** To the verified phone of an account without a verified email, after an administrator's MFA reset (SPEC §14). */
    mfa_reset:
      'An administrator turned off two-step verification on your {app} account; every session was signed out. Not you? Contact support.',
  },
  email: {
    hello: 'Hello,',
    hello_name: 'Hello {name},',
    /** The footer of a mail carrying a code or link. */
    ignore: 'If you did not ask for this, you can ignore this email.',
    code: {
      subject: {
        register: 'Your {app} verification code',
        login: 'Your {app} login code',
        reset: 'Reset your {app} password',
        email_change: 'Confirm your email for {app}',
        phone_change: 'Confirm your phone for {app}',
      },
      intro: {
        register: 'Welcome! Use this code to finish creating your account.',
        login: 'Use this code to log in.',
        reset: 'Someone (hopefully you) asked to reset your password.',
        email_change: 'Confirm that this address is yours.',
        phone_change: 'Confirm your new phone number.',
      },
      line: 'Your {app} code is {code}. Valid for {minutes}.',
      /** The button of the one-time link sent with some codes. */
      link: {
        reset: 'Choose a new password',
        email_change: 'Verify my email',
        other: 'Continue',
      },
      /** The link in the text part. */
      link_text: '{label}: {link}',
      link_valid: '(valid for {minutes}, once)',
      link_open: 'Or open {link}',
    },
    /** Notices of something that already happened, to a verified address. */
    notice: {
      password_changed: {
        subject: 'Your {app} password was changed',
        line: 'The password of your {app} account was changed. Your other sessions were signed out.',
      },
      password_reset: {
        subject: 'Your {app} password was changed',
        line: 'The password of your {app} account was reset. Every session was signed out.',
      },
      password_set: {
        subject: 'Your {app} password was changed',
        line: 'An administrator set a new password for your {app} account. Every session was signed out.',
      },
      email_changed: {
        subject: 'Your {app} email address was changed',
        line: 'The email address of your {app} account was changed: this address no longer signs in or receives resets.',
      },
      mfa_reset: {
        subject: 'Two-step verification was turned off on your {app} account',
        line: 'An administrator turned off two-step verification on your {app} account and signed out every session. Sign in and set it up again.',
      },
      not_you: 'If this was not you, reset your password now and contact support.',
    },
    welcome: {
      subject: 'Welcome to {app}',
      ready: 'Welcome to {app}! Your account is ready and this email address is confirmed.',
      resets: 'You can sign in with it, and password resets for your {app} account will come here.',
    },
  },
}

/** The shape every locale's catalogue has: English's keys, each a text (or the duration function). */
export type Messages = typeof en
