import { PROVIDER_TIMEOUT_MS } from '../../delivery'
import type { EmailSender } from '../sender'
import { parseMailbox } from '../sendgrid'
import { mimeMessage } from './mime'
import { refuseUnsafe, type SmtpAuth, type SmtpSecurity, type SmtpSocket, smtpSend } from './session'

export type { SmtpSocket } from './session'

/** `connect` of `cloudflare:sockets`, as the sender calls it (tests pass one over node:net). */
export type SmtpConnect = (
  address: { hostname: string; port: number },
  options: { secureTransport: 'on' | 'off' | 'starttls'; allowHalfOpen: boolean },
) => SmtpSocket

export interface SmtpConfig {
  host: string
  port: number
  security: SmtpSecurity
  auth?: SmtpAuth | undefined
  /** `EMAIL_FROM`: `Name <address>` or a bare address. */
  from: string
  /** Who we are in EHLO: PUBLIC_URL's host name (an IPv4 address is bracketed, as RFC 5321 wants). */
  clientName: string
  timeoutMs?: number
  /** Date and ids of a message (fixed by tests). */
  now?: () => Date
  randomId?: () => string
}

const TRANSPORT = { tls: 'on', starttls: 'starttls', none: 'off' } as const

/**
 * SMTP (seeds 001, 003: Gmail and the like) over the runtime's TCP sockets: one connection per
 * message, within PROVIDER_TIMEOUT_MS for the whole exchange. Failures are DeliveryErrors (then
 * one retry and 503, as for the HTTP providers); the password is never in one.
 */
export function smtpEmailSender(cfg: SmtpConfig, connectFn: SmtpConnect): EmailSender {
  const from = parseMailbox(cfg.from)
  const now = cfg.now ?? (() => new Date())
  const randomId = cfg.randomId ?? (() => crypto.randomUUID().replaceAll('-', ''))
  const session = {
    clientName: /^\d{1,3}(\.\d{1,3}){3}$/.test(cfg.clientName) ? `[${cfg.clientName}]` : cfg.clientName,
    security: cfg.security,
    auth: cfg.auth,
    timeoutMs: cfg.timeoutMs ?? PROVIDER_TIMEOUT_MS,
  }
  return {
    name: 'smtp',
    async send({ to, subject, text, html }) {
      const envelope = { from: from.email, to, data: mimeMessage({ from, to, subject, text, html, date: now(), id: randomId() }) }
      refuseUnsafe(envelope, session) // before connecting
      const socket = connectFn(
        { hostname: cfg.host, port: cfg.port },
        { secureTransport: TRANSPORT[cfg.security], allowHalfOpen: false },
      )
      await smtpSend(socket, envelope, session)
    },
  }
}
