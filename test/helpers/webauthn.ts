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
type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>
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
  if (Array.isArray(value)) return concat(head(4, value.length), ...value.map(cbor))
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
  /** User presence tested (UP flag); true by default. */
  up?: boolean
  /** Flag bits set on top of the usual ones (BS without BE, say). */
  extraFlags?: number
  /** Bytes after an assertion's authenticator data (signed with it): not allowed without the ED flag. */
  authDataSuffix?: Uint8Array
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

/** The signature algorithms a software authenticator can hold (COSE: -7, -8, -257). */
export type Algorithm = 'ES256' | 'EdDSA' | 'RS256'

/**
 * The attestation statement it makes: `none` (the default), `packed` self attestation (signed by
 * the credential's own key; `packed-self-bad` with a wrong signature), `packed` with a certificate
 * (`packed-x5c`), `fido-u2f`, or a `none` that is not empty (`none-not-empty`).
 */
export type Attestation = 'none' | 'none-not-empty' | 'packed-self' | 'packed-self-bad' | 'packed-x5c' | 'fido-u2f'

/** A key pair of `algorithm`: its COSE public key and a signer producing what WebAuthn carries (DER for ECDSA). */
async function keyPair(
  algorithm: Algorithm,
): Promise<{ cose: Uint8Array; alg: number; sign(data: Uint8Array): Promise<Uint8Array> }> {
  if (algorithm === 'EdDSA') {
    const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair
    const x = new Uint8Array((await crypto.subtle.exportKey('raw', keys.publicKey)) as ArrayBuffer)
    const cose = cbor(
      new Map<number, Cbor>([
        [1, 1], // kty: OKP
        [3, -8], // alg: EdDSA
        [-1, 6], // crv: Ed25519
        [-2, x],
      ]),
    )
    return { cose, alg: -8, sign: async (data) => new Uint8Array(await crypto.subtle.sign('Ed25519', keys.privateKey, data)) }
  }
  if (algorithm === 'RS256') {
    const params = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    const keys = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair
    const jwk = (await crypto.subtle.exportKey('jwk', keys.publicKey)) as JsonWebKey
    const cose = cbor(
      new Map<number, Cbor>([
        [1, 3], // kty: RSA
        [3, -257], // alg: RS256
        [-1, fromB64url(jwk.n as string)],
        [-2, fromB64url(jwk.e as string)],
      ]),
    )
    return {
      cose,
      alg: -257,
      sign: async (data) => new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, data)),
    }
  }
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
  return {
    cose,
    alg: -7,
    sign: async (data) =>
      derSignature(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, data))),
  }
}

/** The attestation statement of `kind` over the registration's authenticator data and client data. */
async function statement(
  kind: Attestation,
  key: Awaited<ReturnType<typeof keyPair>>,
  authData: Uint8Array,
  clientDataJSON: Uint8Array,
): Promise<Map<string, Cbor>> {
  if (kind === 'none') return new Map()
  if (kind === 'none-not-empty') return new Map<string, Cbor>([['alg', key.alg]])
  const sig = await key.sign(concat(authData, await sha256(clientDataJSON)))
  if (kind === 'packed-self-bad') sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 1
  const certificate = crypto.getRandomValues(new Uint8Array(300)) // never parsed: refused for being there
  if (kind === 'packed-x5c')
    return new Map<string, Cbor>([
      ['alg', key.alg],
      ['sig', sig],
      ['x5c', [certificate]],
    ])
  if (kind === 'fido-u2f')
    return new Map<string, Cbor>([
      ['sig', sig],
      ['x5c', [certificate]],
    ])
  return new Map<string, Cbor>([
    ['alg', key.alg],
    ['sig', sig],
  ])
}

/**
 * A new software authenticator; `backupEligible` makes it a synced passkey (BE and BS flags);
 * `algorithm` is its key's (ES256 by default), `attestation` the statement it makes (`none`).
 */
export async function softAuthenticator(
  opts: { backupEligible?: boolean; credentialId?: Uint8Array; algorithm?: Algorithm; attestation?: Attestation } = {},
): Promise<SoftAuthenticator> {
  const key = await keyPair(opts.algorithm ?? 'ES256')
  const cose = key.cose
  const credentialId = opts.credentialId ?? crypto.getRandomValues(new Uint8Array(32))
  const backup = opts.backupEligible ? FLAG.BE | FLAG.BS : 0
  const clientData = (type: string, challenge: string, origin: string) =>
    enc.encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  const flagsOf = (o: CeremonyOptions, extra: number) =>
    (o.up === false ? 0 : FLAG.UP) | (o.uv === false ? 0 : FLAG.UV) | backup | (o.extraFlags ?? 0) | extra

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
      const clientDataJSON = clientData('webauthn.create', options.challenge, o.origin ?? ORIGIN)
      const kind = opts.attestation ?? 'none'
      const attestationObject = cbor(
        new Map<string, Cbor>([
          ['fmt', kind.startsWith('none') ? 'none' : kind.startsWith('packed') ? 'packed' : kind],
          ['attStmt', await statement(kind, key, authData, clientDataJSON)],
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
          clientDataJSON: b64url(clientDataJSON),
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
      const header = concat(rpIdHash, new Uint8Array([flagsOf(o, 0)]), uint32(auth.counter))
      const authData = o.authDataSuffix ? concat(header, o.authDataSuffix) : header
      const clientDataJSON = clientData('webauthn.get', options.challenge, o.origin ?? ORIGIN)
      const sig = await key.sign(concat(authData, await sha256(clientDataJSON)))
      return {
        id: auth.id,
        rawId: auth.id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(sig),
          userHandle: auth.userHandle ?? null,
        },
      }
    },
  }
  return auth
}
