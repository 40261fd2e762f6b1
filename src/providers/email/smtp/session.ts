import { bytesToBase64, utf8 } from '../../../crypto/encoding'
import { DeliveryError } from '../../delivery'

/**
 * The part of a TCP socket the SMTP dialogue needs. A `cloudflare:sockets` Socket has this
 * shape; tests give one over node:net / node:tls.
 */
export interface SmtpSocket {
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
  /** STARTTLS: the same connection, encrypted from now on (the streams must be unlocked). */
  startTls(): SmtpSocket
  close(): Promise<void>
  readonly closed?: Promise<unknown>
}

/** `tls`: the socket is TLS from the start (port 465); `starttls`: upgraded after EHLO; `none`: development only, never with credentials. */
export type SmtpSecurity = 'tls' | 'starttls' | 'none'

export interface SmtpAuth {
  mechanism: 'plain' | 'login'
  username: string
  password: string
}

export interface SmtpSession {
  /** The EHLO name: this service's host name. */
  clientName: string
  security: SmtpSecurity
  auth?: SmtpAuth | undefined
  /** For the whole exchange, greeting to QUIT. */
  timeoutMs: number
}

/** One message: envelope addresses and the MIME text (CRLF lines, not yet dot-stuffed). */
export interface SmtpEnvelope {
  from: string
  to: string
  data: string
}

interface Reply {
  code: number
  lines: string[]
}

/** A server can make us buffer this much of a reply at most. */
const MAX_REPLY_CHARS = 64 * 1024

/** One side of the conversation: reads replies (multi-line `250-…` / `250 …`) and writes lines. */
class Connection {
  private buffer = ''
  private readonly decoder = new TextDecoder()
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>

  constructor(readonly socket: SmtpSocket) {
    socket.closed?.catch(() => {}) // a failed connection is reported by the read that needs it
    this.reader = socket.readable.getReader()
    this.writer = socket.writable.getWriter()
  }

  async reply(): Promise<Reply> {
    const lines: string[] = []
    for (;;) {
      const m = /^(\d{3})([ -]?)(.*)$/.exec(await this.line())
      if (!m) throw new DeliveryError('smtp server sent a malformed reply')
      lines.push(m[3] as string)
      if (m[2] !== '-') return { code: Number(m[1]), lines }
    }
  }

  private async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\n')
      if (end >= 0) {
        const line = this.buffer.slice(0, end).replace(/\r$/, '')
        this.buffer = this.buffer.slice(end + 1)
        return line
      }
      if (this.buffer.length > MAX_REPLY_CHARS) throw new DeliveryError('smtp server sent an overlong reply')
      const { value, done } = await this.reader.read()
      if (done) throw new DeliveryError('smtp server closed the connection')
      this.buffer += this.decoder.decode(value, { stream: true })
    }
  }

  write(text: string): Promise<void> {
    return this.writer.write(utf8(text))
  }

  /** STARTTLS after its 220: a new Connection over the encrypted socket. */
  upgrade(): Connection {
    // Bytes sent before the handshake would be read as if they came over TLS (CVE-2011-0411).
    if (this.buffer !== '') throw new DeliveryError('smtp server sent data before the TLS handshake')
    this.reader.releaseLock()
    this.writer.releaseLock()
    return new Connection(this.socket.startTls())
  }
}

/**
 * Sends one message over `socket` (already TLS for `security: 'tls'`): EHLO, STARTTLS when asked
 * (refused, before any credential or message is sent, if the server does not offer it), AUTH
 * PLAIN or LOGIN only over an encrypted connection, MAIL FROM, RCPT TO, DATA, QUIT. Any other
 * reply than the expected one throws a DeliveryError naming its code and the command, never an
 * argument (AUTH's carry the password). The socket is closed in every case.
 */
export async function smtpSend(socket: SmtpSocket, envelope: SmtpEnvelope, session: SmtpSession): Promise<void> {
  try {
    refuseUnsafe(envelope, session)
  } catch (err) {
    await socket.close().catch(() => {})
    throw err
  }
  const state = { conn: new Connection(socket), delivered: false }
  let timer: ReturnType<typeof setTimeout> | undefined
  const dialogue = (async () => {
    await converse(state, envelope, session)
    state.delivered = true
    // The message is accepted: QUIT politely, but its answer cannot fail the send.
    await state.conn
      .write('QUIT\r\n')
      .then(() => state.conn.reply())
      .catch(() => {})
  })()
  dialogue.catch(() => {}) // settled below, or abandoned after the timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeliveryError('smtp timed out')), session.timeoutMs)
  })
  try {
    await Promise.race([dialogue, timeout])
  } catch (err) {
    if (!state.delivered) throw err
  } finally {
    clearTimeout(timer)
    await state.conn.socket.close().catch(() => {})
  }
}

/** Throws for what must never reach the wire; callers may check before they connect. */
export function refuseUnsafe(envelope: SmtpEnvelope, session: SmtpSession): void {
  for (const address of [envelope.from, envelope.to]) {
    // An address is written into a command line: no spaces, brackets or line breaks.
    if (!/^[^\s<>]+@[^\s<>]+$/.test(address)) throw new DeliveryError('smtp refused an address it cannot send to')
  }
  if (session.auth && session.security === 'none') throw new DeliveryError('smtp never sends credentials without TLS')
}

/** The dialogue up to the acceptance of the message; `state.conn` follows the STARTTLS upgrade. */
async function converse(state: { conn: Connection }, envelope: SmtpEnvelope, session: SmtpSession): Promise<void> {
  const command = async (line: string, verb: string, ...expected: number[]): Promise<Reply> => {
    if (line) await state.conn.write(`${line}\r\n`)
    const reply = await state.conn.reply()
    if (!expected.includes(reply.code)) {
      // The enhanced status code (`5.7.8`) is safe to log; the server's text is not echoed.
      const enhanced = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply.lines[0] ?? '')?.[1]
      throw new DeliveryError(`smtp answered ${reply.code}${enhanced ? ` ${enhanced}` : ''} to ${verb}`)
    }
    return reply
  }
  const ehlo = async () => extensions(await command(`EHLO ${session.clientName}`, 'EHLO', 250))

  await command('', 'the greeting', 220)
  let offered = await ehlo()
  if (session.security === 'starttls') {
    // No silent downgrade: a server (or someone in between) that hides STARTTLS gets nothing.
    if (!offered.has('STARTTLS')) throw new DeliveryError('smtp server does not offer STARTTLS')
    await command('STARTTLS', 'STARTTLS', 220)
    state.conn = state.conn.upgrade()
    offered = await ehlo() // what was offered before TLS is forgotten (RFC 3207 §4.2)
  }
  if (session.auth) await authenticate(command, offered, session.auth)
  await command(`MAIL FROM:<${envelope.from}>`, 'MAIL FROM', 250)
  await command(`RCPT TO:<${envelope.to}>`, 'RCPT TO', 250, 251)
  await command('DATA', 'DATA', 354)
  await command(dotStuffed(envelope.data), 'the message', 250)
}

type Command = (line: string, verb: string, ...expected: number[]) => Promise<Reply>

async function authenticate(command: Command, offered: Map<string, string[]>, auth: SmtpAuth): Promise<void> {
  const mechanism = auth.mechanism.toUpperCase()
  if (!offered.get('AUTH')?.includes(mechanism)) throw new DeliveryError(`smtp server does not offer AUTH ${mechanism}`)
  const b64 = (s: string) => bytesToBase64(utf8(s))
  if (auth.mechanism === 'plain') {
    await command(`AUTH PLAIN ${b64(`\0${auth.username}\0${auth.password}`)}`, 'AUTH', 235)
    return
  }
  await command('AUTH LOGIN', 'AUTH', 334)
  await command(b64(auth.username), 'AUTH', 334)
  await command(b64(auth.password), 'AUTH', 235)
}

/** EHLO's extension lines as keyword → parameters (`AUTH PLAIN LOGIN`, also the old `AUTH=LOGIN`). */
function extensions(reply: Reply): Map<string, string[]> {
  const found = new Map<string, string[]>()
  for (const line of reply.lines.slice(1)) {
    const [keyword = '', ...params] = line
      .trim()
      .toUpperCase()
      .split(/[\s=]+/)
    found.set(keyword, [...(found.get(keyword) ?? []), ...params])
  }
  return found
}

/** The DATA body: CRLF line ends, a '.' doubled at the start of a line, ended by `.` alone (RFC 5321 §4.5.2). */
export function dotStuffed(data: string): string {
  const lines = data.replace(/\r\n$|\n$/, '').split(/\r\n|\r|\n/)
  return `${lines.map((line) => (line.startsWith('.') ? `.${line}` : line)).join('\r\n')}\r\n.`
}
