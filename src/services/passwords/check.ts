import type { Config } from '../../config'
import { dummyHash, hashPassword, needsRehash, readHash } from '../../crypto/password'
import type { ScryptParams } from '../../crypto/scrypt'
import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'
import type { PasswordRehash } from '../../storage/repos/sessions'

export type { PasswordRehash }

export function scryptParams(config: Config): ScryptParams {
  return { logN: config.SCRYPT_LOG_N, r: config.SCRYPT_R, p: config.SCRYPT_P }
}

/** Whether a password matched, and the stored hash to replace when it did but is outdated. */
export interface PasswordCheck {
  ok: boolean
  /**
   * Set when the password matched a hash that is not scrypt at the configured parameters (another
   * service's format, SPEC §13, or weaker scrypt): that hash, for `upgradedHash`.
   */
  outdated?: string | undefined
}

/**
 * Checks a user's password against its stored hash, of any accepted format (SPEC §13). For an
 * unknown user, one without a password, or one whose stored hash cannot be verified, hashes
 * anyway against a dummy so the answer takes as long as a wrong password.
 */
export async function checkPassword(deps: Deps, user: UserRow | undefined, password: string): Promise<PasswordCheck> {
  const params = scryptParams(deps.config)
  const stored = user?.passwordHash
  const hash = stored ? readHash(stored) : null
  if (!user || !stored || !hash) {
    // Hash even when there is nothing to verify: equal timing.
    await readHash(dummyHash(params))?.verify(password)
    return { ok: false }
  }
  const ok = await hash.verify(password)
  return ok && needsRehash(stored, params) ? { ok, outdated: stored } : { ok }
}

/** The password hashed at the configured scrypt parameters, to replace the `outdated` hash it matched. */
export async function upgradedHash(
  deps: Deps,
  { outdated, password }: { outdated: string; password: string },
): Promise<PasswordRehash> {
  return { expected: outdated, next: await hashPassword(password, scryptParams(deps.config)) }
}
