import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type DeviceRow, devices } from '../db/schema'

export function devicesRepo(db: Db) {
  return {
    of: (userId: string): Promise<DeviceRow[]> =>
      db.select().from(devices).where(eq(devices.userId, userId)).orderBy(devices.registeredAt).all(),

    /**
     * A page of a user's devices, oldest first: up to `limit` + 1 rows after the device named by
     * `cursor` (by registration time, then id), so the caller knows if more follow.
     */
    pageOf: (userId: string, page: { limit: number; cursor?: string | undefined }): Promise<DeviceRow[]> =>
      db
        .select()
        .from(devices)
        .where(
          and(
            eq(devices.userId, userId),
            page.cursor
              ? sql`(${devices.registeredAt}, ${devices.deviceId}) > ((SELECT registered_at FROM devices WHERE device_id = ${page.cursor} AND user_id = ${userId}), ${page.cursor})`
              : undefined,
          ),
        )
        .orderBy(devices.registeredAt, devices.deviceId)
        .limit(page.limit + 1)
        .all(),

    /** Devices of several users at once (one query for a page of users). */
    async ofUsers(userIds: string[]): Promise<Map<string, DeviceRow[]>> {
      const rows = userIds.length
        ? await db.select().from(devices).where(inArray(devices.userId, userIds)).orderBy(devices.registeredAt).all()
        : []
      const byUser = new Map<string, DeviceRow[]>()
      for (const d of rows) byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d])
      return byUser
    },

    /** Registers a device; undefined when its id is already registered (to anyone). */
    /** Registers a device in its account's pool; undefined when the pool has it already. */
    add: (row: Omit<DeviceRow, 'pool'>): Promise<DeviceRow | undefined> =>
      db
        .insert(devices)
        .values({ ...row, pool: sql`(SELECT pool FROM users WHERE id = ${row.userId})` })
        .onConflictDoNothing()
        .returning()
        .get(),

    /** True when the user had that device. */
    async remove(userId: string, deviceId: string): Promise<boolean> {
      const row = await db
        .delete(devices)
        .where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId)))
        .returning({ id: devices.deviceId })
        .get()
      return row !== undefined
    },
  }
}

export type DevicesRepo = ReturnType<typeof devicesRepo>
