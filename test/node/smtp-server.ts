import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import type { SmtpConnect, SmtpSocket } from '../../src/providers/email/smtp'

// A self-signed certificate for localhost / 127.0.0.1, for these tests only (valid 2020–2120).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
export const TEST_CERT = fixture('smtp-test-cert.pem')
const TEST_KEY = fixture('smtp-test-key.pem')

export interface SmtpServerOptions {
  /** `implicit`: TLS from the first byte (port 465); `starttls`: offered after EHLO; `none`: never. */
  tls?: 'implicit' | 'starttls' | 'none'
  /** The AUTH line of EHLO after its keyword (`AUTH PLAIN LOGIN`); null: no AUTH offered. */
  auth?: string | null
  /** The answer to the last step of AUTH. */
  authReply?: string
  greeting?: string[]
  /** Replies in place of the usual ones, by command (`MAIL`, `RCPT`, `DATA`, `STARTTLS`) or `message`. */
  replies?: Record<string, string>
  /** Never says a word (a hung server). */
  silent?: boolean
}

export interface SmtpSessionRecord {
  /** Every line in order: `C: …` from the client, `S: …` from the server. */
  transcript: string[]
  /** The client's lines before TLS (all of them on a connection that never had TLS). */
  plaintext: string[]
  /** Every byte the client sent, decoded. */
  raw: string
  /** Messages as received, dot-stuffing undone. */
  messages: string[]
  closed: boolean
}

export interface SmtpServer {
  port: number
  sessions: SmtpSessionRecord[]
  close(): Promise<void>
}

/** A scripted SMTP server on 127.0.0.1 that records each session line by line. */
export async function startSmtpServer(opts: SmtpServerOptions = {}): Promise<SmtpServer> {
  const sessions: SmtpSessionRecord[] = []
  const sockets = new Set<net.Socket>()
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket)
    const record: SmtpSessionRecord = { transcript: [], plaintext: [], raw: '', messages: [], closed: false }
    sessions.push(record)
    socket.on('close', () => {
      record.closed = true
    })
    converse(socket, record, opts)
  }
  const server =
    opts.tls === 'implicit' ? tls.createServer({ key: TEST_KEY, cert: TEST_CERT }, onConnection) : net.createServer(onConnection)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function converse(first: net.Socket, record: SmtpSessionRecord, opts: SmtpServerOptions) {
  let socket = first
  let secure = opts.tls === 'implicit'
  let buffer = ''
  let data: string[] | null = null
  let login: 'user' | 'password' | null = null
  const auth = opts.auth === undefined ? 'AUTH PLAIN LOGIN' : opts.auth
  const send = (...lines: string[]) => {
    record.transcript.push(...lines.map((l) => `S: ${l}`))
    socket.write(lines.map((l) => `${l}\r\n`).join(''))
  }
  const reply = (verb: string, usual: string) => send(opts.replies?.[verb] ?? usual)

  const onLine = (line: string) => {
    record.transcript.push(`C: ${line}`)
    if (!secure) record.plaintext.push(line)
    if (data) {
      if (line !== '.') return void data.push(line.startsWith('.') ? line.slice(1) : line)
      record.messages.push(data.join('\r\n'))
      data = null
      return reply('message', '250 2.0.0 OK queued')
    }
    if (login) {
      login = login === 'user' ? 'password' : null
      return login ? send('334 UGFzc3dvcmQ6') : send(opts.authReply ?? '235 2.7.0 Accepted')
    }
    const verb = (line.split(' ')[0] ?? '').toUpperCase()
    if (verb === 'EHLO') {
      const offers = [...(opts.tls === 'starttls' && !secure ? ['STARTTLS'] : []), ...(auth ? [auth] : []), '8BITMIME']
      return send('250-mail.test', ...offers.map((o, i) => `250${i === offers.length - 1 ? ' ' : '-'}${o}`))
    }
    if (verb === 'STARTTLS') {
      reply('STARTTLS', '220 2.0.0 Ready to start TLS')
      if (opts.replies?.STARTTLS) return
      socket.removeAllListeners('data')
      socket = new tls.TLSSocket(socket, { isServer: true, key: TEST_KEY, cert: TEST_CERT })
      secure = true
      return listen()
    }
    if (verb === 'AUTH' && line.toUpperCase() === 'AUTH LOGIN') {
      login = 'user'
      return send('334 VXNlcm5hbWU6')
    }
    if (verb === 'AUTH') return send(opts.authReply ?? '235 2.7.0 Accepted')
    if (verb === 'MAIL') return reply('MAIL', '250 2.1.0 OK')
    if (verb === 'RCPT') return reply('RCPT', '250 2.1.5 OK')
    if (verb === 'DATA') {
      data = []
      return reply('DATA', '354 Go ahead')
    }
    if (verb === 'QUIT') {
      send('221 2.0.0 Bye')
      return void socket.end()
    }
    send('502 5.5.2 Command not recognized')
  }

  const listen = () => {
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      record.raw += chunk.toString('utf8')
      buffer += chunk.toString('utf8')
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        onLine(line)
      }
    })
  }
  listen()
  if (!opts.silent) send(...(opts.greeting ?? ['220 mail.test ESMTP ready']))
}

/**
 * `connect` of `cloudflare:sockets` over node:net and node:tls, trusting only the test
 * certificate: what the Worker's sockets do, for the SMTP dialogue tested in Node.
 */
export const nodeConnect: SmtpConnect = ({ hostname, port }, { secureTransport }) => {
  const options = { host: hostname, port, ca: TEST_CERT }
  return wrap(secureTransport === 'on' ? tls.connect(options) : net.connect(port, hostname), options)
}

/** Counts the STARTTLS upgrades `nodeConnect` sockets made, for assertions. */
export const upgrades = { count: 0 }

function wrap(socket: net.Socket, options: tls.ConnectionOptions): SmtpSocket {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined
  let done = false
  const finish = (err?: unknown) => {
    if (done) return
    done = true
    if (err) controller?.error(err)
    else controller?.close()
  }
  const onData = (chunk: Buffer) => controller?.enqueue(new Uint8Array(chunk))
  const onEnd = () => finish()
  const onError = (err: Error) => finish(err)
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
      socket.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError)
    },
  })
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => new Promise((resolve, reject) => socket.write(chunk, (err) => (err ? reject(err) : resolve()))),
  })
  return {
    readable,
    writable,
    startTls() {
      upgrades.count++
      socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError)
      return wrap(tls.connect({ ...options, socket }), options)
    },
    async close() {
      socket.destroy()
    },
  }
}
