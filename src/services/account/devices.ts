import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { page } from '../pagination'
import { type DeviceView, toDeviceView as view } from './view'

/** A page of the user's devices, oldest first; the cursor is the last one's `device_id`. */
export async function listDevices(
  deps: Deps,
  userId: string,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: DeviceView[]; next_cursor: string | null }> {
  return page(await deps.devices.pageOf(userId, q), q.limit, { view, keyOf: (d) => d.deviceId })
}

/** Registers a device to the user; a device id already registered (to anyone) is a 409. */
export async function addDevice(deps: Deps, userId: string, input: { device_id: string; type: string }): Promise<DeviceView> {
  const row = await deps.devices.add({ deviceId: input.device_id, userId, type: input.type, registeredAt: deps.now() })
  if (!row) throw new AppError('device_taken', 'This device is already registered')
  return view(row)
}

export async function removeDevice(deps: Deps, userId: string, deviceId: string): Promise<void> {
  if (!(await deps.devices.remove(userId, deviceId))) throw new AppError('not_found', 'No such device')
}
