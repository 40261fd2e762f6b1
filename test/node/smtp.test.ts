import { afterEach, describe, expect, it } from 'vitest'
import { DeliveryError } from '../../src/providers/delivery'
import { type SmtpConfig, type SmtpConnect, smtpEmailSender } from '../../src/providers/email/smtp'
import { encodeWords, mimeMessage } from '../../src/providers/email/smtp/mime'
import { dotStuffed, smtpSend } from '../../src/providers/email/smtp/session'
import { nodeConnect, type SmtpServer, type SmtpServerOptions, startSmtpServer, upgrades } from './smtp-server'

// The SMTP provider's dialogue against a local SMTP server (node:net, node:tls with a test
// certificate), through the same `connect` shape the Worker gets from `cloudflare:sockets`.

const PASSWORD = 'app-pässword secret'
const MAIL = {
  to: 'amira@example.tn',
  subject: 'Your edge-auth verification code',
  text: 'Your code is 123456.',
  html: '<p>Your code is <b>123456</b>.</p>',
}
const DATE = new Date(Date.UTC(2026, 0, 6, 9, 5, 0))
const ID = '0123456789abcdef0123456789abcdef'

let server: SmtpServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(opts: SmtpServerOptions = {}) {
  server = await startSmtpServer(opts)
  return server
}

/** Connections opened by `sender`s in the running test. */
const connects = { count: 0 }
afterEach(() => {
  connects.count = 0
})
const countingConnect: SmtpConnect = (address, options) => {
  connects.count++
  return nodeConnect(address, options)
}

function sender(port: number, cfg: Partial<SmtpConfig> = {}) {
  return smtpEmailSender(
    {
      host: '127.0.0.1',
      port,
      security: 'starttls',
      auth: { mechanism: 'plain', username: 'no-reply@auth.example.tn', password: PASSWORD },
      from: 'edge-auth <no-reply@auth.example.tn>',
      clientName: 'auth.example.tn',
      timeoutMs: 2000,
      now: () => DATE,
      randomId: () => ID,
      ...cfg,
    },
    countingConnect,
  )
}

/** The message as sent: what the server's DATA lines must be (before dot-stuffing). */
const expectedData = () =>
  mimeMessage({ from: { email: 'no-reply@auth.example.tn', name: 'edge-auth' }, ...MAIL, date: DATE, id: ID })
const dataLines = () => expectedData().replace(/\r\n$/, '').split('\r\n')

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/** A rejected send: a DeliveryError with exactly `message`, which never holds the password. */
async function expectRefused(sending: Promise<void>, message: string) {
  const err = await sending.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DeliveryError)
  expect((err as Error).message).toBe(message)
  expect((err as Error).message).not.toContain(PASSWORD)
}

const clientLines = (s: SmtpServer) => (s.sessions[0]?.transcript ?? []).filter((l) => l.startsWith('C: '))

describe('the SMTP dialogue', () => {
  it('STARTTLS then AUTH PLAIN: the exact conversation, credentials only after the TLS upgrade', async () => {
    const s = await serve({ tls: 'starttls' })
    await sender(s.port).send(MAIL)
    const [session] = s.sessions
    expect(session?.transcript).toEqual([
      'S: 220 mail.test ESMTP ready',
      'C: EHLO auth.example.tn',
      'S: 250-mail.test',
      'S: 250-STARTTLS',
      'S: 250-AUTH PLAIN LOGIN',
      'S: 250 8BITMIME',
      'C: STARTTLS',
      'S: 220 2.0.0 Ready to start TLS',
      'C: EHLO auth.example.tn',
      'S: 250-mail.test',
      'S: 250-AUTH PLAIN LOGIN',
      'S: 250 8BITMIME',
      `C: AUTH PLAIN ${b64(`\0no-reply@auth.example.tn\0${PASSWORD}`)}`,
      'S: 235 2.7.0 Accepted',
      'C: MAIL FROM:<no-reply@auth.example.tn>',
      'S: 250 2.1.0 OK',
      'C: RCPT TO:<amira@example.tn>',
      'S: 250 2.1.5 OK',
      'C: DATA',
      'S: 354 Go ahead',
      ...dataLines().map((l) => `C: ${l}`),
      'C: .',
      'S: 250 2.0.0 OK queued',
      'C: QUIT',
      'S: 221 2.0.0 Bye',
    ])
    expect(session?.plaintext).toEqual(['EHLO auth.example.tn', 'STARTTLS'])
    expect(session?.messages).toEqual([expectedData().replace(/\r\n$/, '')])
  })

  it('implicit TLS (SMTP_SECURE=tls) then AUTH LOGIN: the exact conversation', async () => {
    const s = await serve({ tls: 'implicit' })
    const before = upgrades.count
    await sender(s.port, {
      security: 'tls',
      auth: { mechanism: 'login', username: 'no-reply@auth.example.tn', password: PASSWORD },
    }).send(MAIL)
    expect(upgrades.count).toBe(before) // TLS from the first byte: no STARTTLS
    expect(s.sessions[0]?.transcript.slice(0, 15)).toEqual([
      'S: 220 mail.test ESMTP ready',
      'C: EHLO auth.example.tn',
      'S: 250-mail.test',
      'S: 250-AUTH PLAIN LOGIN',
      'S: 250 8BITMIME',
      'C: AUTH LOGIN',
      'S: 334 VXNlcm5hbWU6',
      `C: ${b64('no-reply@auth.example.tn')}`,
      'S: 334 UGFzc3dvcmQ6',
      `C: ${b64(PASSWORD)}`,
      'S: 235 2.7.0 Accepted',
      'C: MAIL FROM:<no-reply@auth.example.tn>',
      'S: 250 2.1.0 OK',
      'C: RCPT TO:<amira@example.tn>',
      'S: 250 2.1.5 OK',
    ])
    expect(s.sessions[0]?.plaintext).toEqual([])
    expect(s.sessions[0]?.messages).toHaveLength(1)
  })

  it('a server that refuses AUTH (535): a DeliveryError naming the code, no message sent', async () => {
    const s = await serve({ tls: 'starttls', authReply: '535 5.7.8 Username and Password not accepted' })
    await expectRefused(sender(s.port).send(MAIL), 'smtp answered 535 5.7.8 to AUTH')
    expect(clientLines(s).at(-1)).toMatch(/^C: AUTH PLAIN /)
    expect(s.sessions[0]?.messages).toEqual([])
    await expect.poll(() => s.sessions[0]?.closed).toBe(true)
  })

  it('a server that does not offer STARTTLS: refused after EHLO, the password never sent', async () => {
    const s = await serve({ tls: 'none' })
    await expectRefused(sender(s.port).send(MAIL), 'smtp server does not offer STARTTLS')
    expect(clientLines(s)).toEqual(['C: EHLO auth.example.tn'])
    const raw = s.sessions[0]?.raw ?? ''
    for (const secret of [PASSWORD, b64(PASSWORD), b64(`\0no-reply@auth.example.tn\0${PASSWORD}`), 'AUTH', '123456']) {
      expect(raw).not.toContain(secret)
    }
  })

  it('a STARTTLS answer followed by injected plaintext: refused before the handshake', async () => {
    const s = await serve({ tls: 'starttls', replies: { STARTTLS: '220 2.0.0 Ready\r\n250 injected' } })
    await expectRefused(sender(s.port).send(MAIL), 'smtp server sent data before the TLS handshake')
    expect(clientLines(s)).toEqual(['C: EHLO auth.example.tn', 'C: STARTTLS'])
  })

  it('does not try a mechanism the server does not offer', async () => {
    const s = await serve({ tls: 'starttls', auth: 'AUTH LOGIN' })
    await expectRefused(sender(s.port).send(MAIL), 'smtp server does not offer AUTH PLAIN')
    expect(clientLines(s).some((l) => l.startsWith('C: AUTH'))).toBe(false)
  })

  it('reads multi-line replies: a two-line greeting and the old `AUTH=` form of EHLO', async () => {
    const s = await serve({
      tls: 'starttls',
      greeting: ['220-mail.test ESMTP', '220-no UCE', '220 ready'],
      auth: 'AUTH=PLAIN',
    })
    await sender(s.port).send(MAIL)
    expect(clientLines(s)[0]).toBe('C: EHLO auth.example.tn') // after the last greeting line only
    expect(clientLines(s)).toContain('C: MAIL FROM:<no-reply@auth.example.tn>')
    expect(s.sessions[0]?.messages).toHaveLength(1)
  })

  it('a refused recipient (550): a DeliveryError with the code only, no DATA', async () => {
    const s = await serve({ tls: 'starttls', replies: { RCPT: '550 5.1.1 <amira@example.tn> secret-detail unknown' } })
    await expectRefused(sender(s.port).send(MAIL), 'smtp answered 550 5.1.1 to RCPT TO')
    expect(clientLines(s)).not.toContain('C: DATA')
  })

  it('a refused message (554 after the data) is a failure too', async () => {
    const s = await serve({ tls: 'starttls', replies: { message: '554 5.7.1 rejected as spam' } })
    await expectRefused(sender(s.port).send(MAIL), 'smtp answered 554 5.7.1 to the message')
  })

  it('a temporary refusal at the greeting (421)', async () => {
    const s = await serve({ tls: 'starttls', greeting: ['421 4.3.2 too busy'] })
    await expectRefused(sender(s.port).send(MAIL), 'smtp answered 421 4.3.2 to the greeting')
  })

  it('gives up on a silent server after the timeout and closes the connection', async () => {
    const s = await serve({ silent: true })
    await expectRefused(sender(s.port, { timeoutMs: 150 }).send(MAIL), 'smtp timed out')
    await expect.poll(() => s.sessions[0]?.closed).toBe(true)
  })

  it('an unreachable server is an error (the caller retries it)', async () => {
    const s = await serve()
    const { port } = s
    await s.close()
    server = undefined
    await expect(sender(port).send(MAIL)).rejects.toThrow()
  })

  it('without TLS (SMTP_SECURE=none, development) sends without AUTH, and never with credentials', async () => {
    const s = await serve({ tls: 'none' })
    await sender(s.port, { security: 'none', auth: undefined }).send(MAIL)
    expect(clientLines(s).slice(0, 4)).toEqual([
      'C: EHLO auth.example.tn',
      'C: MAIL FROM:<no-reply@auth.example.tn>',
      'C: RCPT TO:<amira@example.tn>',
      'C: DATA',
    ])
    await expectRefused(sender(s.port, { security: 'none' }).send(MAIL), 'smtp never sends credentials without TLS')
    expect(connects.count).toBe(1) // the refused one never connected
  })

  it('smtpSend itself refuses credentials without TLS: nothing written, the socket closed', async () => {
    const s = await serve({ tls: 'none' })
    const socket = nodeConnect({ hostname: '127.0.0.1', port: s.port }, { secureTransport: 'off', allowHalfOpen: false })
    let closed = false
    const close = () => {
      closed = true
      return socket.close()
    }
    const watched = { readable: socket.readable, writable: socket.writable, startTls: socket.startTls, close }
    const auth = { mechanism: 'plain' as const, username: 'u', password: PASSWORD }
    const envelope = { from: 'a@b.tn', to: 'c@d.tn', data: 'Subject: x\r\n\r\nhi' }
    await expectRefused(
      smtpSend(watched, envelope, { clientName: 'x', security: 'none', auth, timeoutMs: 2000 }),
      'smtp never sends credentials without TLS',
    )
    expect(closed).toBe(true)
    expect(s.sessions.map((x) => x.raw).join('')).toBe('')
  })

  it('refuses a recipient that would break the command line, before writing anything', async () => {
    const s = await serve({ tls: 'starttls' })
    for (const to of ['a@b.tn>\r\nRCPT TO:<x@evil.test', 'a b@example.tn', 'a@b.tn\nDATA']) {
      await expectRefused(sender(s.port).send({ ...MAIL, to }), 'smtp refused an address it cannot send to')
    }
    expect(connects.count).toBe(0)
  })

  it('brackets an IPv4 EHLO name', async () => {
    const s = await serve({ tls: 'starttls' })
    await sender(s.port, { clientName: '127.0.0.1' }).send(MAIL)
    expect(clientLines(s)[0]).toBe('C: EHLO [127.0.0.1]')
  })
})

describe('DATA', () => {
  it('doubles a leading dot, ends lines with CRLF and the data with a lone dot', async () => {
    const s = await serve({ tls: 'none' })
    const data = 'Subject: dots\r\n\r\n.hidden\n..two\r\n.\rlast'
    await smtpSend(
      nodeConnect({ hostname: '127.0.0.1', port: s.port }, { secureTransport: 'off', allowHalfOpen: false }),
      { from: 'a@b.tn', to: 'c@d.tn', data },
      { clientName: 'auth.example.tn', security: 'none', timeoutMs: 2000 },
    )
    const lines = clientLines(s)
    const start = lines.indexOf('C: DATA') + 1
    expect(lines.slice(start, start + 7)).toEqual([
      'C: Subject: dots',
      'C: ',
      'C: ..hidden',
      'C: ...two',
      'C: ..',
      'C: last',
      'C: .',
    ])
    expect(s.sessions[0]?.messages).toEqual(['Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\nlast'])
    expect(s.sessions[0]?.raw).not.toMatch(/[^\r]\n|\r[^\n]/) // CRLF only
  })

  it('dotStuffed leaves other lines alone', () => {
    expect(dotStuffed('a\r\nb.c\r\n')).toBe('a\r\nb.c\r\n.')
  })
})

describe('mimeMessage', () => {
  it('builds multipart/alternative text + html, base64 UTF-8 parts, with the headers of RFC 5322', () => {
    const msg = mimeMessage({
      from: { email: 'no-reply@auth.example.tn', name: 'edge-auth' },
      ...MAIL,
      text: 'Bonjour Amira, votre code est 123456.',
      date: DATE,
      id: ID,
    })
    const boundary = `=_${ID}`
    expect(msg.split('\r\n')).toEqual([
      'From: edge-auth <no-reply@auth.example.tn>',
      'To: amira@example.tn',
      'Subject: Your edge-auth verification code',
      'Date: Tue, 06 Jan 2026 09:05:00 +0000',
      `Message-ID: <${ID}@auth.example.tn>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64('Bonjour Amira, votre code est 123456.'),
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64(MAIL.html),
      `--${boundary}--`,
      '',
    ])
  })

  it('sends the text alone when there is no html, and wraps base64 at 76 characters', () => {
    const text = 'é'.repeat(100)
    const msg = mimeMessage({ from: { email: 'a@b.tn' }, ...MAIL, text, html: '', date: DATE, id: ID })
    const lines = msg.split('\r\n')
    expect(lines.slice(0, 9)).toEqual([
      'From: a@b.tn',
      'To: amira@example.tn',
      'Subject: Your edge-auth verification code',
      'Date: Tue, 06 Jan 2026 09:05:00 +0000',
      `Message-ID: <${ID}@b.tn>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
    ])
    const body = lines.slice(9)
    expect(body.every((l) => l.length <= 76)).toBe(true)
    expect(Buffer.from(body.join(''), 'base64').toString('utf8')).toBe(text)
  })

  it('quotes a display name with specials and encodes one beyond ASCII', () => {
    const from = (name: string) => mimeMessage({ from: { email: 'a@b.tn', name }, ...MAIL, date: DATE, id: ID }).split('\r\n')[0]
    expect(from('Acme, Inc.')).toBe('From: "Acme, Inc." <a@b.tn>')
    expect(from('Société Générale')).toBe(`From: =?UTF-8?B?${b64('Société Générale')}?= <a@b.tn>`)
  })

  it('encodes a subject beyond ASCII as RFC 2047 words of whole characters, folded, and drops line breaks', () => {
    expect(encodeWords('Plain subject')).toBe('Plain subject')
    expect(encodeWords('Bcc: x@evil.test\r\nInjected: yes')).toBe('Bcc: x@evil.test Injected: yes')
    const subject = 'رمز التحقق الخاص بك في edge-auth — code de vérification'
    const encoded = encodeWords(subject)
    const words = encoded.split('\r\n ')
    expect(words.length).toBeGreaterThan(1)
    for (const w of words) {
      expect(w).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/]+=*\?=$/)
      expect(w.length).toBeLessThanOrEqual(75)
    }
    const decoded = words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8'))
    expect(decoded.join('')).toBe(subject)
    expect(decoded.every((d) => !d.includes('\uFFFD'))).toBe(true) // no character split across words
  })
})
