import { expectOk, postToProvider } from '../delivery'
import type { EmailSender } from './sender'

export interface ResendConfig {
  apiBase: string
  apiKey: string
  /** `Name <address>` or a bare address, passed to Resend as is. */
  from: string
}

/** Resend: JSON POST to /emails with a Bearer API key. */
export function resendEmailSender(cfg: ResendConfig, fetchFn: typeof fetch = fetch): EmailSender {
  const url = `${cfg.apiBase.replace(/\/$/, '')}/emails`
  const authorization = `Bearer ${cfg.apiKey}`
  return {
    name: 'resend',
    async send({ to, subject, html, text }) {
      const body = { from: cfg.from, to: [to], subject, html, text }
      const res = await postToProvider(fetchFn, { url, body, authorization })
      await expectOk('resend', res)
    },
  }
}
