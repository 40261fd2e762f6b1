import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding'
import { bytesToHex } from './encoding'
import { hmacSha256 } from './hash'

/** How many recovery codes an enrolment gives (SPEC §14). */
export const RECOVERY_CODE_COUNT = 10

/** A recovery code: 50 random bits as ten base32 characters, shown as `xxxxx-xxxxx`. */
export function newRecoveryCode(): string {
  // 7 bytes give 12 base32 characters; the first 10 carry 50 uniformly random bits.
  const chars = encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(7))).slice(0, 10)
  return `${chars.slice(0, 5)}-${chars.slice(5)}`
}

/** A typed recovery code as stored: lower case, without the dash or spaces (people copy them loosely). */
export const normalizeRecoveryCode = (code: string): string => code.toLowerCase().replace(/[\s-]/g, '')

/**
 * How a recovery code is stored: HMAC-SHA-256 keyed with OTP_PEPPER over the owner's id and the
 * normalized code, so a leaked table neither yields the codes nor lets one account's code pass for another's.
 */
export async function recoveryCodeHash(pepper: string, userId: string, code: string): Promise<string> {
  return bytesToHex(await hmacSha256(pepper, `recovery:${userId}:${normalizeRecoveryCode(code)}`))
}
