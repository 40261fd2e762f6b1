import { expectOk, postToProvider } from '../delivery'
import type { EmailSender } from './sender'

export interface SendgridConfig {
  apiBase: string
  apiKey: string
  /** `Name <address>`, `"Name" <address>` or a bare address. */
  from: string
}

/** `EMAIL_FROM` as SendGrid's `{ email, name? }`. */
export function parseMailbox(from: string): { email: string; name?: string } {
  const m = /^\s*(.*?)\s*<\s*([^<>\s]+)\s*>\s*$/.exec(from)
  if (!m) return { email: from.trim() }
  const name = (m[1] ?? '').replace(/^"(.*)"$/, '$1').trim()
  return name ? { email: m[2] as string, name } : { email: m[2] as string }
}

/**
 * SendGrid v3 Mail Send: JSON POST to /v3/mail/send with a Bearer API key; 202 on success.
 * SendGrid requires text/plain before text/html in `content`.
 */
export function sendgridEmailSender(cfg: SendgridConfig, fetchFn: typeof fetch = fetch): EmailSender {
  const url = `${cfg.apiBase.replace(/\/$/, '')}/v3/mail/send`
  const authorization = `Bearer ${cfg.apiKey}`
  const from = parseMailbox(cfg.from)
  return {
    name: 'sendgrid',
    async send({ to, subject, html, text }) {
      const body = {
        personalizations: [{ to: [{ email: to }] }],
        from,
        subject,
        content: [
          { type: 'text/plain', value: text },
          { type: 'text/html', value: html },
        ],
      }
      const res = await postToProvider(fetchFn, { url, body, authorization })
      await expectOk('sendgrid', res)
    },
  }
}
