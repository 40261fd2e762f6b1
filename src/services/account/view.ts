import type { DeviceRow, UserRow } from '../../storage/db/schema'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** A device as the API shows it (alone, and in the user object). */
export function toDeviceView(d: DeviceRow) {
  return { device_id: d.deviceId, type: d.type, registered_at: new Date(d.registeredAt).toISOString() }
}

export type DeviceView = ReturnType<typeof toDeviceView>

/** The public user object of SPEC §3: never a hash, code or internal flag. */
export function toUserView(u: UserRow, devices: DeviceRow[]) {
  return {
    id: u.id,
    pool: u.pool,
    name: u.name,
    surname: u.surname,
    phone: u.phone,
    email: u.email,
    username: u.username,
    role: u.role,
    status: u.status,
    // The primary identifier is the phone when there is one, else the email.
    is_verified: u.phone ? u.phoneVerified : u.emailVerified,
    phone_verified: u.phoneVerified,
    email_verified: u.emailVerified,
    // An email or phone asked for by PATCH /me and not confirmed yet: it does not sign in or reset.
    pending_email: u.pendingEmail,
    pending_phone: u.pendingPhone,
    parent_id: u.parentId,
    created_at: iso(u.createdAt) as string,
    updated_at: iso(u.updatedAt) as string,
    last_login: iso(u.lastLogin),
    // SPEC §15: the stored choice as is; the texts fall back to DEFAULT_LOCALE when LOCALES lost it (accountLocale).
    locale: u.locale,
    devices: devices.map(toDeviceView),
  }
}

export type UserView = ReturnType<typeof toUserView>
