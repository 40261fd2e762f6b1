import { DeviceBody } from '../../../src/schemas/me'
import { problem } from './problem'
import { readTime } from './time'

/** A device of an imported account (SPEC §3 user object's `devices`). */
export interface ImportDevice {
  deviceId: string
  type: string
  registeredAt: number
}

// The user object never lists this many devices; more in one record is a broken export.
export const MAX_DEVICES = 100

/** `devices`: `[{ device_id, type, registered_at? }]` by POST /me/devices' rules; registered_at defaults to the account's creation. */
export function readDevices(value: unknown, createdAt: number, now: number): ImportDevice[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw problem('devices: must be an array')
  if (value.length > MAX_DEVICES) throw problem(`devices: more than ${MAX_DEVICES}`)
  const seen = new Set<string>()
  return value.map((item: unknown, i) => {
    const { registered_at, ...rest } = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {}
    const parsed = DeviceBody.safeParse(rest)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw problem(`devices[${i}].${issue?.path.join('.') || 'device_id'}: ${issue?.message ?? 'invalid'}`)
    }
    if (seen.has(parsed.data.device_id)) throw problem(`devices[${i}]: device_id ${parsed.data.device_id} twice`)
    seen.add(parsed.data.device_id)
    const registeredAt = registered_at == null ? createdAt : readTime(registered_at, `devices[${i}].registered_at`, now)
    return { deviceId: parsed.data.device_id, type: parsed.data.type, registeredAt }
  })
}
