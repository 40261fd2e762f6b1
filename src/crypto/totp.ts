import { encodeBase32NoPadding } from '@oslojs/encoding'
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp'
import { timingSafeEqual } from './compare'
import { utf8 } from './encoding'
import { seal, unseal } from './secret-box'

// RFC 6238 TOTP as SPEC §14 fixes it: HMAC-SHA-1, 6 digits, 30-second steps, one step either side.
// @oslojs/otp computes the HOTP value; the clock and the window are ours (its TOTP helpers read Date.now()).

export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
/** Steps accepted either side of the current one (clock drift of the authenticator). */
export const TOTP_WINDOW = 1
/** 160 bits, RFC 4226 §4's recommended secret length (and what authenticator apps expect). */
export const TOTP_SECRET_BYTES = 20

/** The time step of `ms` (Unix milliseconds): RFC 6238's T = floor((Unix time − T0) / X), T0 = 0. */
export const totpStep = (ms: number): number => Math.floor(ms / (TOTP_PERIOD_SECONDS * 1000))

/** The code of `key` at time step `step`, with `digits` digits (6 by default; RFC 6238's vectors use 8). */
export function totpAt(key: Uint8Array, step: number, digits = TOTP_DIGITS): string {
  return generateHOTP(key, BigInt(step), digits)
}

/** A fresh random secret of TOTP_SECRET_BYTES. */
export function newTotpSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES))
}

/** The secret as authenticator apps take it typed in: base32 (RFC 4648) without padding. */
export const base32Secret = (key: Uint8Array): string => encodeBase32NoPadding(key)

/** The `otpauth://totp/Issuer:account?secret=…&issuer=…` URI of the enrolment QR code (Key Uri Format). */
export const totpUri = (issuer: string, account: string, key: Uint8Array): string =>
  createTOTPKeyURI(issuer, account, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS)

const sameDigits = (a: string, b: string): boolean => timingSafeEqual(utf8(a), utf8(b))

/**
 * The time steps within the window around `now` whose code is `code`, oldest first (every step
 * is computed and compared, in constant time, whatever matches). Whether a step may still be
 * accepted (never twice) is the caller's, decided atomically in D1.
 */
export function matchingSteps(key: Uint8Array, code: string, now: number): number[] {
  const current = totpStep(now)
  const found: number[] = []
  for (let step = Math.max(0, current - TOTP_WINDOW); step <= current + TOTP_WINDOW; step++) {
    if (sameDigits(totpAt(key, step), code)) found.push(step)
  }
  return found
}

const scope = (pepper: string, userId: string) => ({ pepper, purpose: 'totp-secret', owner: userId })

/** A TOTP secret as stored: sealed with a key derived from OTP_PEPPER, bound to its user (secret-box.ts). */
export const sealTotpSecret = (pepper: string, userId: string, key: Uint8Array): Promise<string> =>
  seal(scope(pepper, userId), key)

/** The raw TOTP secret of a stored row. */
export const openTotpSecret = (pepper: string, userId: string, sealed: string): Promise<Uint8Array> =>
  unseal(scope(pepper, userId), sealed)
