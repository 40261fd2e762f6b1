/** A stored hash, parsed and checked against the caps: tells whether a password matches it. */
export type Verifier = (password: string) => Promise<boolean>

/** Why a stored hash of a known format is not verified: malformed, or a cost over the caps. */
export interface Refused {
  refused: string
}

export const refuse = (reason: string): Refused => ({ refused: reason })

/**
 * Decodes base64 with or without its padding (`A-Z a-z 0-9 + /`), or null when it cannot be: a
 * length no encoding produces, or a character outside the alphabet.
 */
export function unpaddedBase64(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) return null
  const bin = atob(s.padEnd(Math.ceil(s.length / 4) * 4, '='))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
