import { bytesToBase64Url, bytesToHex } from './encoding'

/** A UUIDv7: time-ordered (good for indexes and cursors), 74 random bits. */
export function newId(now = Date.now()): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  let t = now
  for (let i = 5; i >= 0; i--) {
    b[i] = t & 0xff
    t = Math.floor(t / 256)
  }
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const h = bytesToHex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** The creation time (ms) a UUIDv7 carries in its first 48 bits. */
export function idTime(id: string): number {
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)
}

/** `length` decimal digits from a CSPRNG, rejection-sampled so every digit is equally likely. */
export function randomDigits(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      // 250 is the largest multiple of 10 below 256: bytes above it would bias towards 0–5.
      if (byte < 250 && out.length < length) out += String(byte % 10)
    }
  }
  return out
}

/** An opaque token of `bytes` random bytes (256 bits by default), base64url. */
export function randomToken(bytes = 32): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))
}
