import * as nodeCrypto from 'node:crypto'
import { scryptAsync } from '@noble/hashes/scrypt.js'

export interface ScryptParams {
  logN: number
  r: number
  p: number
}

export type ScryptFn = (password: Uint8Array, salt: Uint8Array, params: ScryptParams, dkLen: number) => Promise<Uint8Array>

/** @noble/hashes: pure JS, runs anywhere. */
export const nobleScrypt: ScryptFn = (password, salt, { logN, r, p }, dkLen) =>
  scryptAsync(password, salt, { N: 2 ** logN, r, p, dkLen, maxmem: scryptMemory({ logN, r, p }) * 2 })

/** The runtime's native scrypt (workerd with nodejs_compat, Node): same bytes, far less CPU. */
export const nativeScrypt: ScryptFn = (password, salt, { logN, r, p }, dkLen) =>
  new Promise((resolve, reject) => {
    nodeCrypto.scrypt(password, salt, dkLen, { N: 2 ** logN, r, p, maxmem: scryptMemory({ logN, r, p }) * 2 }, (err, key) =>
      err ? reject(err) : resolve(new Uint8Array(key)),
    )
  })

/** Bytes of memory one scrypt evaluation needs (128·N·r for V, plus 128·r·p for B). */
export function scryptMemory({ logN, r, p }: ScryptParams): number {
  return 128 * 2 ** logN * r + 128 * r * p
}

/** Native where the runtime provides it, else noble. */
export const scrypt: ScryptFn = typeof nodeCrypto.scrypt === 'function' ? nativeScrypt : nobleScrypt
