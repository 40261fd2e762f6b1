import { base64ToBytes, bytesToBase64Url, utf8 } from './encoding'

// Secrets the service must read back (a TOTP secret) are sealed at rest: AES-256-GCM under a key
// derived from OTP_PEPPER with HKDF-SHA-256, a fresh 96-bit IV each time, and the owner's id as
// associated data, so a sealed value copied onto another row does not open. A D1 dump alone
// (backups, exports) holds no usable secret.

const VERSION = 'v1'
const keys = new Map<string, Promise<CryptoKey>>()

function sealingKey(pepper: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\u0000${pepper}`
  let key = keys.get(id)
  if (!key) {
    key = crypto.subtle
      .importKey('raw', utf8(pepper), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: utf8('edge-auth secret-box'), info: utf8(`${purpose} ${VERSION}`) },
          base,
          { name: 'AES-GCM', length: 256 },
          false,
          ['encrypt', 'decrypt'],
        ),
      )
    keys.set(id, key)
  }
  return key
}

const fromBase64Url = (s: string) => base64ToBytes(s.replace(/-/g, '+').replace(/_/g, '/'))

/** What a sealed value is for and whose it is: the key's purpose and the associated data. */
export interface SealScope {
  pepper: string
  purpose: string
  owner: string
}

/** Seals `plain`: `v1.` + base64url(iv ‖ ciphertext). */
export async function seal(scope: SealScope, plain: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const key = await sealingKey(scope.pepper, scope.purpose)
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(scope.owner) }, key, plain),
  )
  const out = new Uint8Array(iv.length + sealed.length)
  out.set(iv)
  out.set(sealed, iv.length)
  return `${VERSION}.${bytesToBase64Url(out)}`
}

/** Opens a value `seal` made for the same scope; throws if it was tampered with or is another's. */
export async function unseal(scope: SealScope, sealed: string): Promise<Uint8Array> {
  const [version, body] = sealed.split('.', 2)
  if (version !== VERSION || !body) throw new Error('unknown sealed value format')
  const bytes = fromBase64Url(body)
  const key = await sealingKey(scope.pepper, scope.purpose)
  return new Uint8Array(
    await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: utf8(scope.owner) },
      key,
      bytes.slice(12),
    ),
  )
}
