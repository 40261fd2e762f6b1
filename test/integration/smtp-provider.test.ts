import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newEmail, newIp, register } from '../helpers/factories'
import { verify } from '../helpers/otp'
import { useQuietErrors } from '../helpers/outbox'

// EMAIL_PROVIDER=smtp through the Worker's real `cloudflare:sockets` to the local SMTP server of
// test/smtp-server.global.ts (no TLS: workerd would not trust a test certificate, so STARTTLS,
// implicit TLS and AUTH are tested line by line in test/node/smtp.test.ts).

interface Session {
  transcript: string[]
  raw: string
  messages: string[]
}

const SMTP = {
  EMAIL_PROVIDER: 'smtp',
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(inject('smtpPort')),
  SMTP_SECURE: 'none',
  EMAIL_FROM: 'edge-auth <no-reply@auth.example.tn>',
}
const PASSWORD = 'smtp-app-password'

const errors = useQuietErrors()

async function sessions(): Promise<Session[]> {
  return (await fetch(inject('smtpControlUrl'))).json()
}
const clientLines = (s: Session) => s.transcript.filter((l) => l.startsWith('C: ')).map((l) => l.slice(3))
const to = (email: string) => async () => (await sessions()).filter((s) => clientLines(s).includes(`RCPT TO:<${email}>`))
const greetedAs = (name: string) => async () => (await sessions()).filter((s) => clientLines(s)[0] === `EHLO ${name}`)

/** The text/plain part of a message as sent (base64 UTF-8), decoded. */
function textPart(message: string): string {
  const b64 = /Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n([\s\S]*?)\r\n--/.exec(
    message,
  )?.[1]
  if (!b64) throw new Error(`no text part in ${message}`)
  return new TextDecoder().decode(Uint8Array.from(atob(b64.replace(/\r\n/g, '')), (c) => c.charCodeAt(0)))
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? ''

describe('EMAIL_PROVIDER=smtp through cloudflare:sockets', () => {
  it('registers by email: one SMTP session whose message holds the code, which verifies', async () => {
    const email = newEmail()
    expect((await register({ email }, { env: SMTP })).status).toBe(201)
    const [session, ...more] = await to(email)()
    expect(more).toHaveLength(0)
    const lines = clientLines(session as Session)
    expect(lines.slice(0, 4)).toEqual(['EHLO localhost', 'MAIL FROM:<no-reply@auth.example.tn>', `RCPT TO:<${email}>`, 'DATA'])
    expect(lines.slice(-2)).toEqual(['.', 'QUIT'])
    const [message = ''] = session?.messages ?? []
    expect(message).toContain('From: edge-auth <no-reply@auth.example.tn>\r\n')
    expect(message).toContain(`To: ${email}\r\n`)
    expect(message).toMatch(/\r\nSubject: [^\r\n]*edge-auth/)
    const code = codeIn(textPart(message))

    const res = await verify({ email }, code, SMTP)
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ email, status: 'active', email_verified: true })
  })

  it('sends a background email too (password reset answers 202, the mail arrives)', async () => {
    const email = newEmail()
    expect((await register({ email }, { env: SMTP })).status).toBe(201)
    const [signup] = await to(email)()
    expect((await verify({ email }, codeIn(textPart(signup?.messages[0] ?? '')), SMTP)).status).toBe(200)
    const vars = { ...SMTP, OTP_RESEND_COOLDOWN_SECONDS: '0' }
    const res = await call('POST', '/api/v1/auth/reset-password', { json: { email }, env: vars, ip: newIp() })
    expect(res.status).toBe(202)
    const received = await to(email)()
    expect(received).toHaveLength(2)
    expect(textPart(received[1]?.messages[0] ?? '')).toMatch(/\b\d{6}\b/)
  })

  it('refuses a server without STARTTLS: 503 after one retry, the password never sent, no valid code', async () => {
    const email = newEmail()
    const vars = {
      ...SMTP,
      SMTP_SECURE: 'starttls',
      SMTP_USERNAME: 'no-reply@auth.example.tn',
      SMTP_PASSWORD: PASSWORD,
      PUBLIC_URL: 'https://starttls-refused.test',
    }
    const body = await expectError(await register({ email }, { env: vars }), 503, 'email_delivery_failed')
    const tried = await greetedAs('starttls-refused.test')()
    expect(tried).toHaveLength(2)
    for (const s of tried) {
      expect(clientLines(s)).toEqual(['EHLO starttls-refused.test'])
      expect(s.raw).not.toContain(btoa(`\0no-reply@auth.example.tn\0${PASSWORD}`))
    }
    expect(errors.text()).toContain('smtp server does not offer STARTTLS')
    expect(errors.text()).not.toContain(PASSWORD)
    expect(JSON.stringify(body)).not.toMatch(/smtp|STARTTLS/)
    expect(await env.KV.get(`otp:register:email:${email}`)).toBeNull()
  })

  it('answers 503 email_delivery_failed when the server cannot be reached', async () => {
    const vars = { ...SMTP, SMTP_PORT: '1' }
    await expectError(await register({ email: newEmail() }, { env: vars }), 503, 'email_delivery_failed')
  })
})
