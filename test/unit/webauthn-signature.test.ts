import { describe, expect, it } from 'vitest'
import { derToRawECDSA, importCOSEKey, UnusableKey } from '../../src/services/passkeys/signature'

// WebAuthn carries ECDSA signatures as DER; WebCrypto verifies r || s. The conversion is strict.

const der = (...bytes: number[]) => new Uint8Array(bytes)
const int = (first: number, length: number) => [0x02, length, ...[first], ...new Array(length - 1).fill(7)]

describe('derToRawECDSA', () => {
  it('left-pads short integers and drops the sign byte of long ones', () => {
    const r = int(0x00, 33) // 0x00 then 32 bytes: the leading zero of a high-bit integer
    r[3] = 0x80
    const s = int(0x01, 31) // a short one: padded to 32
    const raw = derToRawECDSA(der(0x30, r.length + s.length, ...r, ...s), 32)
    expect(raw).toHaveLength(64)
    expect(raw[0]).toBe(0x80)
    expect([...raw.slice(32, 34)]).toEqual([0x00, 0x01])
    expect(raw[63]).toBe(7)
  })

  it('refuses anything but one minimal DER SEQUENCE of two positive INTEGERs', () => {
    const ok = [...int(0x11, 32), ...int(0x22, 32)]
    const bad = [
      der(0x31, ok.length, ...ok), // not a SEQUENCE
      der(0x30, ok.length + 1, ...ok), // wrong length
      der(0x30, ok.length, ...ok, 0), // trailing byte
      der(0x30, 36, ...int(0x00, 2).map((b, i) => (i === 3 ? 0x01 : b)), ...int(0x22, 32)), // non-minimal 0x00 0x01
      der(0x30, 34, ...int(0x80, 32)), // one integer
      der(0x30, 69, ...int(0x91, 33), ...int(0x22, 32)), // negative
      der(0x30, 70, ...int(0x11, 34), ...int(0x22, 32)), // too long for P-256
    ]
    for (const sig of bad) expect(() => derToRawECDSA(sig, 32)).toThrow(UnusableKey)
    expect(derToRawECDSA(der(0x30, ok.length, ...ok), 32)).toHaveLength(64)
  })
})

describe('importCOSEKey', () => {
  it('refuses keys of other algorithms, curves or shapes', async () => {
    const cbor = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16))
    for (const hex of [
      'a40101032620012158200000', // truncated
      'a301020338220201', // ES384 (-35) on EC2: not offered
      'a3010103272005', // EdDSA on another curve than Ed25519 (6)
      'a0', // empty map
    ]) {
      await expect(importCOSEKey(cbor(hex))).rejects.toThrow(UnusableKey)
    }
  })
})
