import type { Deps } from '../deps'
import { AppError } from '../errors'
import type { UserRow } from '../storage/db/schema'
import { checkPassword } from './passwords'
import type { ClientInfo } from './sessions'

/** Checks a password re-entered for a sensitive call (SPEC §6.1): 401 invalid_credentials when wrong. */
export async function assertReenteredPassword(deps: Deps, user: UserRow, password: string, client: ClientInfo): Promise<void> {
  // Minimal version; the lockout work counts wrong ones per identifier and IP bucket (`client`) like logins.
  void client
  if (!(await checkPassword(deps, user, password))) throw new AppError('invalid_credentials', 'The password is incorrect')
}
