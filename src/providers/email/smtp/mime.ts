import { bytesToBase64, utf8 } from '../../../crypto/encoding'

export interface MimeParts {
  /** `EMAIL_FROM` as parsed: the address and an optional display name. */
  from: { email: string; name?: string }
  to: string
  subject: string
  text: string
  html: string
  date: Date
  /** Random, unique per message: the Message-ID's left part and the multipart boundary. */
  id: string
}

/**
 * The message as RFC 5322 / MIME text with CRLF line ends: headers (non-ASCII ones as RFC 2047
 * encoded words), then multipart/alternative text + html (text alone when there is no html), each
 * part UTF-8 in base64 lines of 76.
 */
export function mimeMessage(m: MimeParts): string {
  const domain = m.from.email.split('@').pop()
  const headers = [
    `From: ${mailbox(m.from)}`,
    `To: ${m.to}`,
    `Subject: ${encodeWords(m.subject)}`,
    `Date: ${rfc5322Date(m.date)}`,
    `Message-ID: <${m.id}@${domain}>`,
    'MIME-Version: 1.0',
  ]
  if (!m.html) return [...headers, ...part('text/plain', m.text)].join('\r\n')
  const boundary = `=_${m.id}`
  return [
    ...headers,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    ...part('text/plain', m.text),
    `--${boundary}`,
    ...part('text/html', m.html),
    `--${boundary}--`,
    '',
  ].join('\r\n')
}

function part(type: string, content: string): string[] {
  const b64 = bytesToBase64(utf8(content))
  return [`Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', ...(b64.match(/.{1,76}/g) ?? [''])]
}

/** `Name <address>`: the name bare when it is plain words, quoted when it has specials, encoded beyond ASCII. */
function mailbox({ email, name }: { email: string; name?: string }): string {
  if (!name) return email
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return `${name} <${email}>`
  if (/^[\x20-\x7e]+$/.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}" <${email}>`
  return `${encodeWords(name)} <${email}>`
}

/**
 * A header value as is when it is printable ASCII, else as RFC 2047 `=?UTF-8?B?…?=` words of at
 * most 39 bytes of text each (whole characters), folded onto continuation lines. Line breaks
 * never reach a header: they become spaces.
 */
export function encodeWords(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ')
  if (/^[\x20-\x7e]*$/.test(flat)) return flat
  const words: string[] = []
  let chunk = ''
  for (const char of flat) {
    if (utf8(chunk + char).length > 39) {
      words.push(chunk)
      chunk = ''
    }
    chunk += char
  }
  words.push(chunk)
  return words.map((w) => `=?UTF-8?B?${bytesToBase64(utf8(w))}?=`).join('\r\n ')
}

/** `Tue, 06 Jan 2026 09:05:00 +0000`. */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000')
}
