import type { Locale } from '../config'
import { directionOf } from '../i18n/locale'
import { fill, type Messages, messagesFor, type Vars } from '../i18n/messages'
import type { EmailMessage } from '../providers/email'
import { escapeHtml } from './escape'

/**
 * Every email the service sends, rendered: subject, HTML part and text part, in the recipient's
 * locale, with APP_NAME in them. The words are the catalogues' (src/i18n/messages); this file
 * owns the layout and the escaping: anything that comes from a user (a name) or the config (the
 * app name) is escaped in the HTML part.
 */

export type CodePurpose = keyof Messages['email']['code']['subject']

/** A template filled for HTML: its own words and the values escaped, except `html`'s (already markup). */
function fillHtml(template: string, vars: Vars, html: Readonly<Record<string, string>> = {}): string {
  return template
    .split(/\{(\w+)\}/)
    .map((part, i) => {
      if (i % 2 === 0) return escapeHtml(part)
      if (part in html) return html[part] as string
      return part in vars ? escapeHtml(String(vars[part])) : escapeHtml(`{${part}}`)
    })
    .join('')
}

export interface CodeEmail {
  app: string
  to: string
  locale: Locale
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

function page(locale: Locale, app: string, inner: string, footer = ''): string {
  return `<!doctype html><html lang="${locale}" dir="${directionOf(locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(app)}</title></head><body style="font-family:system-ui,sans-serif;color:#1a1a1a;max-width:32rem;margin:auto;padding:1rem">${inner}${footer ? `<p style="color:#666;font-size:.85rem">${escapeHtml(footer)}</p>` : ''}</body></html>`
}

const greetingOf = (t: Messages, name: string | null | undefined) => (name ? fill(t.email.hello_name, { name }) : t.email.hello)

export function codeEmail(m: CodeEmail): EmailMessage {
  const t = messagesFor(m.locale)
  const c = t.email.code
  const vars = { app: m.app, code: m.code, minutes: t.minutes(m.minutes) }
  // Mail to an address nobody has proved carries only our own words, never a name (SPEC §6.6).
  const greeting = greetingOf(t, TO_UNPROVEN[m.purpose] ? null : m.name)
  const intro = c.intro[m.purpose]
  const linkLabel = m.purpose === 'reset' || m.purpose === 'email_change' ? c.link[m.purpose] : c.link.other
  const linkValid = fill(c.link_valid, { minutes: t.minutes(m.linkMinutes ?? m.minutes) })
  const text = [
    greeting,
    '',
    intro,
    fill(c.line, vars),
    ...(m.link ? ['', fill(c.link_text, { label: linkLabel, link: m.link }), linkValid] : []),
  ].join('\n')
  const code = `<strong style="font-size:1.4rem;letter-spacing:.2rem">${escapeHtml(m.code)}</strong>`
  const html = page(
    m.locale,
    m.app,
    `<p>${escapeHtml(greeting)}</p><p>${escapeHtml(intro)}</p><p>${fillHtml(c.line, vars, { code })}</p>` +
      (m.link
        ? `<p><a href="${escapeHtml(m.link)}" style="display:inline-block;padding:.6rem 1rem;background:#0b57d0;color:#fff;border-radius:.4rem;text-decoration:none">${escapeHtml(linkLabel)}</a></p><p style="font-size:.85rem">${fillHtml(c.link_open, { link: m.link })}</p>`
        : ''),
    t.email.ignore,
  )
  return { to: m.to, subject: fill(c.subject[m.purpose], { app: m.app }), text, html }
}

export type NoticeKind = Exclude<keyof Messages['email']['notice'], 'not_you'>

export interface NoticeEmail {
  app: string
  to: string
  locale: Locale
  name?: string | null | undefined
  what: NoticeKind
}

/** A notice of something that already happened, to a verified address (sent after the response, best effort). */
export function noticeEmail(n: NoticeEmail): EmailMessage {
  const t = messagesFor(n.locale)
  const notice = t.email.notice[n.what]
  const line = fill(notice.line, { app: n.app })
  const greeting = greetingOf(t, n.name)
  const notYou = t.email.notice.not_you
  return {
    to: n.to,
    subject: fill(notice.subject, { app: n.app }),
    text: `${greeting}\n\n${line}\n${notYou}`,
    html: page(n.locale, n.app, `<p>${escapeHtml(greeting)}</p><p>${escapeHtml(line)}</p><p>${escapeHtml(notYou)}</p>`),
  }
}

/**
 * The welcome email (SPEC §13, seed 001's registration.html): sent once an account is active
 * with a verified email, so the address is proved and may be greeted by name.
 */
export function welcomeEmail(w: { app: string; to: string; locale: Locale; name?: string | null | undefined }): EmailMessage {
  const t = messagesFor(w.locale)
  const greeting = greetingOf(t, w.name)
  const lines = [fill(t.email.welcome.ready, { app: w.app }), fill(t.email.welcome.resets, { app: w.app })]
  return {
    to: w.to,
    subject: fill(t.email.welcome.subject, { app: w.app }),
    text: [greeting, '', ...lines].join('\n'),
    html: page(w.locale, w.app, `<p>${escapeHtml(greeting)}</p>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}`),
  }
}
