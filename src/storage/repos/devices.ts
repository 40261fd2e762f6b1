import { and, eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type DeviceRow, devices } from '../db/schema'

export function devicesRepo(db: Db) {
  return {
    of: (userId: string): Promise<DeviceRow[]> =>
      db.select().from(devices).where(eq(devices.userId, userId)).orderBy(devices.registeredAt).all(),

    /** Registers a device; undefined when its id is already registered (to anyone). */
    add: (row: DeviceRow): Promise<DeviceRow | undefined> =>
      db.insert(devices).values(row).onConflictDoNothing().returning().get(),

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
