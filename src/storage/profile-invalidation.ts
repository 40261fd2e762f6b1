import type { AuthStateStore } from './kv/auth-state'
import type { DevicesRepo } from './repos/devices'
import type { UsersRepo } from './repos/users'

/**
 * The users and devices repositories, dropping the user's cached profile (KV) after every
 * write that changes what GET /me shows, so no caller can forget to.
 */
export function invalidatingUsers(users: UsersRepo, store: AuthStateStore): UsersRepo {
  return {
    ...users,
    async update(id, patch) {
      const row = await users.update(id, patch)
      await store.dropProfile(id)
      return row
    },
    async delete(id) {
      const gone = await users.delete(id)
      await store.dropProfile(id)
      return gone
    },
  }
}

export function invalidatingDevices(devices: DevicesRepo, store: AuthStateStore): DevicesRepo {
  return {
    ...devices,
    async add(row) {
      const added = await devices.add(row)
      if (added) await store.dropProfile(row.userId)
      return added
    },
    async remove(userId, deviceId) {
      const removed = await devices.remove(userId, deviceId)
      if (removed) await store.dropProfile(userId)
      return removed
    },
  }
}
