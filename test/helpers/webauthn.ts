// A software authenticator for the passkey tests (SPEC §14): an ES256 key pair made with
// WebCrypto, producing what a browser's `PublicKeyCredential.toJSON()` gives — a registration
// with attestation `none` (a CBOR attestation object whose authenticator data carries the
// rpIdHash, flags, counter and the COSE public key) and assertions signed over
// authenticatorData || SHA-256(clientDataJSON) for the challenge the API handed out.

export const ORIGIN = 'http://localhost:8787' // PUBLIC_URL of wrangler.toml's development vars
export const RP_ID = 'localhost'

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const

const enc = new TextEncoder()
export const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
export const fromB64url = (s: string) =>
  Uint8Array.from(
    atob(
      s
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(s.length / 4) * 4, '='),
    ),
    (c) => c.charCodeAt(0),
  )
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
const uint32 = (n: number) => new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])

/** WebCrypto's ECDSA signature (r || s, 32 bytes each) as the ASN.1 DER SEQUENCE WebAuthn carries. */
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0
    while (i < b.length - 1 && b[i] === 0) i++
    const v = b.slice(i)
    const body = (v[0] as number) & 0x80 ? concat(new Uint8Array([0]), v) : v
    return concat(new Uint8Array([0x02, body.length]), body)
  }
  const seq = concat(int(raw.slice(0, 32)), int(raw.slice(32)))
  return concat(new Uint8Array([0x30, seq.length]), seq)
}

/**
 * The CBOR (RFC 8949) the authenticator writes: unsigned and negative integers, text and byte
 * strings, and maps of them, in the order given (what the COSE key and the attestation object need).
 */
type Cbor = number | string | Uint8Array | Map<number | string, Cbor>
export function cbor(value: Cbor): Uint8Array {
  const head = (major: number, n: number) => {
    const m = major << 5
    if (n < 24) return new Uint8Array([m | n])
    if (n < 0x100) return new Uint8Array([m | 24, n])
    if (n < 0x10000) return new Uint8Array([m | 25, n >> 8, n & 0xff])
    return concat(new Uint8Array([m | 26]), uint32(n))
  }
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = enc.encode(value)
    return concat(head(3, bytes.length), bytes)
  }
  if (value instanceof Uint8Array) return concat(head(2, value.length), value)
  return concat(head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)]))
}

// biome-ignore lint/suspicious/noExplicitAny: options JSON as the API answers it
type Json = any

export interface CeremonyOptions {
  /** The origin the "browser" reports in clientDataJSON. */
  origin?: string
  /** The RP ID whose hash goes into the authenticator data. */
  rpId?: string
  /** User verification performed (UV flag); true by default. */
  uv?: boolean
  /** The signature counter to report (an assertion; registration reports 0). */
  counter?: number
  /** Ignore `allowCredentials` (a client that answers anyway). */
  ignoreAllowList?: boolean
}

export interface SoftAuthenticator {
  credentialId: Uint8Array
  /** base64url of the credential id, as the API shows it. */
  id: string
  /** The user handle it stored at registration (a discoverable credential's). */
  userHandle: string | undefined
  counter: number
  /** `navigator.credentials.create()` then `.toJSON()`, for the creation options the API gave. */
  create(options: Json, o?: CeremonyOptions): Promise<Json>
  /** `navigator.credentials.get()` then `.toJSON()`, for the request options the API gave; the counter goes up by one unless `o.counter` says. */
  get(options: Json, o?: CeremonyOptions): Promise<Json>
}

/** A new software authenticator; `backupEligible` makes it a synced passkey (BE and BS flags). */
export async function softAuthenticator(
  opts: { backupEligible?: boolean; credentialId?: Uint8Array } = {},
): Promise<SoftAuthenticator> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', keys.publicKey)) as ArrayBuffer) // 0x04 || x || y
  const cose = cbor(
    new Map<number, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, raw.slice(1, 33)],
      [-3, raw.slice(33, 65)],
    ]),
  )
  const credentialId = opts.credentialId ?? crypto.getRandomValues(new Uint8Array(32))
  const backup = opts.backupEligible ? FLAG.BE | FLAG.BS : 0
  const clientData = (type: string, challenge: string, origin: string) =>
    enc.encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  const flagsOf = (o: CeremonyOptions, extra: number) => FLAG.UP | (o.uv === false ? 0 : FLAG.UV) | backup | extra

  const auth: SoftAuthenticator = {
    credentialId,
    id: b64url(credentialId),
    userHandle: undefined,
    counter: 0,
    async create(options, o = {}) {
      const rpIdHash = await sha256(enc.encode(o.rpId ?? options.rp.id))
      const attested = concat(
        new Uint8Array(16),
        new Uint8Array([credentialId.length >> 8, credentialId.length & 0xff]),
        credentialId,
        cose,
      )
      const authData = concat(rpIdHash, new Uint8Array([flagsOf(o, FLAG.AT)]), uint32(0), attested)
      const attestationObject = cbor(
        new Map<string, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      )
      auth.userHandle = options.user.id
      return {
        id: auth.id,
        rawId: auth.id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: { credProps: { rk: true } },
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge, o.origin ?? ORIGIN)),
          attestationObject: b64url(attestationObject),
          transports: ['internal', 'hybrid'],
        },
      }
    },
    async get(options, o = {}) {
      const allowed: { id: string }[] = options.allowCredentials ?? []
      if (!o.ignoreAllowList && allowed.length > 0 && !allowed.some((c) => c.id === auth.id)) {
        throw new Error('NotAllowedError: no credential of this authenticator is allowed')
      }
      auth.counter = o.counter ?? auth.counter + 1
      const rpIdHash = await sha256(enc.encode(o.rpId ?? options.rpId))
      const authData = concat(rpIdHash, new Uint8Array([flagsOf(o, 0)]), uint32(auth.counter))
      const clientDataJSON = clientData('webauthn.get', options.challenge, o.origin ?? ORIGIN)
      const signed = concat(authData, await sha256(clientDataJSON))
      const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, signed))
      return {
        id: auth.id,
        rawId: auth.id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(derSignature(sig)),
          userHandle: auth.userHandle ?? null,
        },
      }
    },
  }
  return auth
}
