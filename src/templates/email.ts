import type { EmailMessage } from '../providers/email'
import { escapeHtml } from './escape'

/**
 * Every email the service sends, in one place: subject, HTML part and text part, with
 * APP_NAME in them. Anything that comes from a user (a name) is escaped in the HTML part.
 */

export type CodePurpose = 'register' | 'login' | 'reset' | 'email_change' | 'phone_change'

const CODE_SUBJECT: Record<CodePurpose, string> = {
  register: 'Your {app} verification code',
  login: 'Your {app} login code',
  reset: 'Reset your {app} password',
  email_change: 'Confirm your email for {app}',
  phone_change: 'Confirm your phone for {app}',
}

const CODE_INTRO: Record<CodePurpose, string> = {
  register: 'Welcome! Use this code to finish creating your account.',
  login: 'Use this code to log in.',
  reset: 'Someone (hopefully you) asked to reset your password.',
  email_change: 'Confirm that this address is yours.',
  phone_change: 'Confirm your new phone number.',
}

const LINK_LABEL: Partial<Record<CodePurpose, string>> = {
  reset: 'Choose a new password',
  email_change: 'Verify my email',
}

export interface CodeEmail {
  app: string
  to: string
  purpose: CodePurpose
  code: string
  minutes: number
  name?: string | null | undefined
  /** A one-time link doing the same as the code (reset, email verification). */
  link?: string | undefined
  linkMinutes?: number | undefined
}

/** Purposes whose code goes to an address its account has not verified yet. */
const TO_UNPROVEN: Record<CodePurpose, boolean> = {
  register: true,
  login: false,
  reset: false,
  email_change: true,
  phone_change: true,
}

const IGNORE = 'If you did not ask for this, you can ignore this email.'

function page(app: string, inner: string, footer = IGNORE): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(app)}</title></head><body style="font-family:system-ui,sans-serif;color:#1a1a1a;max-width:32rem;margin:auto;padding:1rem">${inner}${footer ? `<p style="color:#666;font-size:.85rem">${footer}</p>` : ''}</body></html>`
}

export function codeEmail(m: CodeEmail): EmailMessage {
  const subject = CODE_SUBJECT[m.purpose].replace('{app}', m.app)
  // Mail to an address nobody has proved carries only our own words, never a name (SPEC §6.6).
  const greeting = m.name && !TO_UNPROVEN[m.purpose] ? `Hello ${m.name},` : 'Hello,'
  const linkLabel = LINK_LABEL[m.purpose] ?? 'Continue'
  const text = [
    greeting,
    '',
    CODE_INTRO[m.purpose],
    `Your ${m.app} code is ${m.code}. Valid for ${m.minutes} minutes.`,
    ...(m.link ? ['', `${linkLabel}: ${m.link}`, `(valid for ${m.linkMinutes ?? m.minutes} minutes, once)`] : []),
  ].join('\n')
  const html = page(
    m.app,
    `<p>${escapeHtml(greeting)}</p><p>${escapeHtml(CODE_INTRO[m.purpose])}</p>` +
      `<p>Your ${escapeHtml(m.app)} code is <strong style="font-size:1.4rem;letter-spacing:.2rem">${escapeHtml(m.code)}</strong>. Valid for ${m.minutes} minutes.</p>` +
      (m.link
        ? `<p><a href="${escapeHtml(m.link)}" style="display:inline-block;padding:.6rem 1rem;background:#0b57d0;color:#fff;border-radius:.4rem;text-decoration:none">${escapeHtml(linkLabel)}</a></p><p style="font-size:.85rem">Or open ${escapeHtml(m.link)}</p>`
        : ''),
  )
  return { to: m.to, subject, text, html }
}

export type NoticeKind = 'password_changed' | 'password_reset' | 'email_changed'

const NOTICE: Record<NoticeKind, { subject: string; line: string }> = {
  password_changed: {
    subject: 'Your {app} password was changed',
    line: 'The password of your {app} account was changed. Your other sessions were signed out.',
  },
  password_reset: {
    subject: 'Your {app} password was changed',
    line: 'The password of your {app} account was reset. Every session was signed out.',
  },
  email_changed: {
    subject: 'Your {app} email address was changed',
    line: 'The email address of your {app} account was changed: this address no longer signs in or receives resets.',
  },
}

/** A notice of something that already happened, to a verified address (sent after the response, best effort). */
export function noticeEmail(n: { app: string; to: string; name?: string | null | undefined; what: NoticeKind }): EmailMessage {
  const line = NOTICE[n.what].line.replace('{app}', n.app)
  const greeting = n.name ? `Hello ${n.name},` : 'Hello,'
  return {
    to: n.to,
    subject: NOTICE[n.what].subject.replace('{app}', n.app),
    text: `${greeting}\n\n${line}\nIf this was not you, reset your password now and contact support.`,
    html: page(
      n.app,
      `<p>${escapeHtml(greeting)}</p><p>${escapeHtml(line)}</p><p>If this was not you, reset your password now and contact support.</p>`,
      '',
    ),
  }
}

/**
 * The welcome email (SPEC §13, seed 001's registration.html): sent once an account is active
 * with a verified email, so the address is proved and may be greeted by name.
 */
export function welcomeEmail(w: { app: string; to: string; name?: string | null | undefined }): EmailMessage {
  const greeting = w.name ? `Hello ${w.name},` : 'Hello,'
  const lines = [
    `Welcome to ${w.app}! Your account is ready and this email address is confirmed.`,
    `You can sign in with it, and password resets for your ${w.app} account will come here.`,
  ]
  return {
    to: w.to,
    subject: `Welcome to ${w.app}`,
    text: [greeting, '', ...lines].join('\n'),
    html: page(w.app, `<p>${escapeHtml(greeting)}</p>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}`, ''),
  }
}
