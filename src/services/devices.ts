import type { Deps } from '../deps'
import { AppError } from '../errors'
import { type DeviceView, toDeviceView as view } from './user-view'

export async function listDevices(deps: Deps, userId: string): Promise<DeviceView[]> {
  return (await deps.devices.of(userId)).map(view)
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
