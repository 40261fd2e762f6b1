import { expectOk, PROVIDER_TIMEOUT_MS } from '../delivery'
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
      const res = await fetchFn(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ from: cfg.from, to: [to], subject, html, text }),
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      })
      await expectOk('resend', res)
    },
  }
}
