import type { Config } from '../../config'
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../../crypto/password'
import type { ScryptParams } from '../../crypto/scrypt'
import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'

export function scryptParams(config: Config): ScryptParams {
  return { logN: config.SCRYPT_LOG_N, r: config.SCRYPT_R, p: config.SCRYPT_P }
}

/**
 * Checks a user's password; for an unknown user or one without a password, hashes anyway
 * against a dummy so the answer takes as long as a wrong password. A match made under weaker
 * parameters than the configured ones is re-hashed after the response.
 */
export async function checkPassword(deps: Deps, user: UserRow | undefined, password: string): Promise<boolean> {
  const params = scryptParams(deps.config)
  const stored = user?.passwordHash
  if (!user || !stored) {
    await verifyPassword(password, dummyHash(params))
    return false
  }
  const ok = await verifyPassword(password, stored)
  if (ok && needsRehash(stored, params)) {
    deps.defer(async () => deps.users.replacePasswordHash(user.id, stored, await hashPassword(password, params)))
  }
  return ok
}
