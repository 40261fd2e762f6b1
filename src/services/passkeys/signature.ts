import { decodeCBORToNativeValueNoLeftoverBytes } from '@oslojs/cbor'
import {
  COSEKeyType,
  COSEPublicKey,
  coseAlgorithmEdDSA,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveEd25519,
  coseEllipticCurveP256,
} from '@oslojs/webauthn'
import { bytesToBase64Url } from '../../crypto/encoding'

// A passkey's public key, as the authenticator gave it (a COSE_Key, stored base64url), turned into
// a WebCrypto key, and WebAuthn signatures checked with it. The algorithms are those the creation
// options offer (`pubKeyCredParams`): ES256 (P-256), EdDSA (Ed25519) and RS256.

/** COSE algorithm identifiers offered in the creation options, most preferred first. */
export const SUPPORTED_ALGORITHMS = [coseAlgorithmEdDSA, coseAlgorithmES256, coseAlgorithmRS256]

/** A key or signature that cannot be used: the ceremony is refused as malformed. */
export class UnusableKey extends Error {}

export interface VerifyingKey {
  algorithm: number
  key: CryptoKey
}

const copy = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)

function bytesParam(decoded: Record<string, unknown>, label: string, length?: number): Uint8Array {
  const value = decoded[label]
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw new UnusableKey(`COSE key parameter ${label} is missing or invalid`)
  }
  return value
}

/** A COSE_Key's bytes as a WebCrypto key for its algorithm (ES256, EdDSA or RS256 only). */
export async function importCOSEKey(cose: Uint8Array): Promise<VerifyingKey> {
  let decoded: Record<string, unknown>
  let algorithm: number
  let type: COSEKeyType
  try {
    decoded = decodeCBORToNativeValueNoLeftoverBytes(cose, 4) as Record<string, unknown>
    const key = new COSEPublicKey(decoded)
    algorithm = key.algorithm()
    type = key.type()
  } catch {
    throw new UnusableKey('not a COSE key')
  }
  try {
    if (algorithm === coseAlgorithmES256 && type === COSEKeyType.EC2 && decoded['-1'] === coseEllipticCurveP256) {
      const point = new Uint8Array(65)
      point[0] = 0x04 // uncompressed: 0x04 || x || y
      point.set(bytesParam(decoded, '-2', 32), 1)
      point.set(bytesParam(decoded, '-3', 32), 33)
      const key = await crypto.subtle.importKey('raw', point, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
      return { algorithm, key }
    }
    if (algorithm === coseAlgorithmEdDSA && type === COSEKeyType.OKP && decoded['-1'] === coseEllipticCurveEd25519) {
      const key = await crypto.subtle.importKey('raw', copy(bytesParam(decoded, '-2', 32)), { name: 'Ed25519' }, false, [
        'verify',
      ])
      return { algorithm, key }
    }
    if (algorithm === coseAlgorithmRS256 && type === COSEKeyType.RSA) {
      const jwk = { kty: 'RSA', n: bytesToBase64Url(bytesParam(decoded, '-1')), e: bytesToBase64Url(bytesParam(decoded, '-2')) }
      const key = await crypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
      return { algorithm, key }
    }
  } catch (err) {
    throw err instanceof UnusableKey ? err : new UnusableKey('the public key is invalid')
  }
  throw new UnusableKey(`unsupported COSE algorithm ${algorithm}`)
}

/** Whether `signature` (as WebAuthn carries it: DER for ECDSA) signs `data` with `key`. */
export async function verifySignature(key: VerifyingKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (key.algorithm === coseAlgorithmES256) {
    return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key.key, derToRawECDSA(signature, 32), copy(data))
  }
  if (key.algorithm === coseAlgorithmEdDSA) return crypto.subtle.verify({ name: 'Ed25519' }, key.key, copy(signature), copy(data))
  return crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key.key, copy(signature), copy(data))
}

/**
 * An ECDSA signature as WebAuthn carries it, the DER `SEQUENCE { INTEGER r, INTEGER s }`, as the
 * fixed-width r || s WebCrypto verifies. Anything but that exact structure is refused.
 */
export function derToRawECDSA(der: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const bad = () => new UnusableKey('the ECDSA signature is not DER')
  let at = 0
  const length = () => {
    const first = der[at++]
    if (first === undefined) throw bad()
    if (first < 0x80) return first
    if (first !== 0x81) throw bad() // an ECDSA P-256 signature is never longer than 255 bytes
    const long = der[at++]
    if (long === undefined || long < 0x80) throw bad()
    return long
  }
  if (der[at++] !== 0x30) throw bad()
  if (length() !== der.length - at) throw bad()
  const out = new Uint8Array(2 * size)
  for (const offset of [0, size]) {
    if (der[at++] !== 0x02) throw bad()
    const n = length()
    let int = der.subarray(at, at + n)
    at += n
    if (int.length !== n || n === 0 || ((int[0] as number) & 0x80) !== 0) throw bad() // positive integers only
    if (int.length > 1 && int[0] === 0 && ((int[1] as number) & 0x80) === 0) throw bad() // minimal encoding
    if (int[0] === 0) int = int.subarray(1)
    if (int.length > size) throw bad()
    out.set(int, offset + size - int.length)
  }
  if (at !== der.length) throw bad()
  return out
}
