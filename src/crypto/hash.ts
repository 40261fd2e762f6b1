import { bytesToHex, utf8 } from './encoding'

/** SHA-256 of a string, hex: how refresh and link tokens are stored. */
export async function sha256Hex(value: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(value))))
}

const hmacKeys = new Map<string, Promise<CryptoKey>>()

/** HMAC-SHA-256 of `message` keyed with `secret` (the key is imported once per isolate). */
export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  let key = hmacKeys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    hmacKeys.set(secret, key)
  }
  return new Uint8Array(await crypto.subtle.sign('HMAC', await key, utf8(message)))
}
