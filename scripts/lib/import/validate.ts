// A record checked with the service's own rules (SPEC §4, §7, §12): the same field schemas,
// phone parser, email and username normalisation and role lists as registration and the staff
// routes, so an import lets in nothing the API would refuse.
import type { z } from 'zod'
import { type Config, STAFF_ROLES, type StaffRole } from '../../../src/config'
import { newId } from '../../../src/crypto/random'
import { DEFAULT_POOL } from '../../../src/pools'
import { EmailField, NameField, UsernameField } from '../../../src/schemas/fields'
import { USER_ID } from '../../../src/schemas/iam'
import { normalizeEmail, normalizeUsername, parsePhone } from '../../../src/services/identifiers'
import { type ImportDevice, readDevices } from './devices'
import { type HashFormat, hashFormat } from './hash'
import { problem, shown } from './problem'
import type { SourceRecord } from './record'
import { readTime } from './time'

export type Status = 'pending' | 'active' | 'deactivated' | 'suspended'

/** An account ready to insert: every value normalised as the service stores it. */
export interface ImportUser {
  id: string
  /** Whether the file gave the id (else a new UUIDv7). */
  idGiven: boolean
  pool: string
  phone: string | null
  email: string | null
  username: string | null
  name: string | null
  surname: string | null
  role: string
  status: Status
  phoneVerified: boolean
  emailVerified: boolean
  passwordHash: string | null
  hashFormat: HashFormat | null
  parentId: string | null
  createdAt: number
  updatedAt: number
  lastLogin: number | null
  devices: ImportDevice[]
}

/** What the service needs to know to judge a record: the pool and its configuration. */
export interface RecordContext {
  pool: string
  /** The pool's configuration (`poolConfig`): END_USER_ROLES, DEFAULT_COUNTRY, ALLOWED_COUNTRIES. */
  config: Config
  now: number
}

const OBJECT_ID = /^[0-9a-fA-F]{24}$/
const STATUSES: readonly Status[] = ['pending', 'active', 'deactivated', 'suspended']
// Seed 003's `inactive` is an account that has not confirmed its OTP yet: our `pending`.
const STATUS_ALIASES: Record<string, Status> = { inactive: 'pending' }

/** `_id` or `id`: a string as is, a number as its decimal string, a Mongo `{"$oid": …}` as its hex. */
export function readId(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw problem('id: a number must be a non-negative integer')
    return String(value)
  }
  if (typeof value === 'object' && value !== null && '$oid' in value) {
    const oid = (value as { $oid: unknown }).$oid
    if (typeof oid !== 'string' || !OBJECT_ID.test(oid)) throw problem('id: $oid must be 24 hexadecimal digits')
    return oid.toLowerCase()
  }
  if (typeof value !== 'string' || !USER_ID.test(value)) throw problem('id: use 1–64 of A-Z a-z 0-9 . _ ~ : -')
  return value
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw problem(`${field}: must be a string`)
  return value
}

function checked(schema: z.ZodType<string>, value: unknown, field: string): string {
  const parsed = schema.safeParse(text(value, field))
  if (!parsed.success) throw problem(`${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
  return parsed.data
}

function flag(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw problem(`${field}: must be true or false`)
  return value
}

/**
 * The phone in E.164 by the service's parser. Seed 001 keeps a `country_code` next to a national
 * number: an ISO country (`TN`) is the country the number is read in, a calling code (`216`,
 * `+216`) is put in front of it.
 */
function readPhone(record: SourceRecord, config: Config): string {
  const phone = text(record.phone, 'phone')
  let input = phone
  let country = config.DEFAULT_COUNTRY
  if (record.country_code !== undefined) {
    const code = text(record.country_code, 'country_code').trim()
    if (/^[A-Za-z]{2}$/.test(code)) country = code.toUpperCase()
    else if (/^\+?\d{1,4}$/.test(code)) input = /^\s*(\+|00)/.test(phone) ? phone : `+${code.replace('+', '')} ${phone}`
    else throw problem('country_code: an ISO country (TN) or a calling code (+216)')
  }
  try {
    return parsePhone(input, { ...config, DEFAULT_COUNTRY: country })
  } catch {
    const allowed = config.ALLOWED_COUNTRIES.length > 0 ? ` of ${config.ALLOWED_COUNTRIES.join(', ')}` : ''
    throw problem(`phone: ${shown(phone)} is not a valid mobile phone number${allowed}`)
  }
}

function readRole(record: SourceRecord, ctx: RecordContext): string {
  const endUserRoles = ctx.config.END_USER_ROLES
  const role = record.role === undefined ? (endUserRoles[0] as string) : text(record.role, 'role')
  if (endUserRoles.includes(role)) return role
  if (STAFF_ROLES.includes(role as StaffRole)) {
    if (ctx.pool === DEFAULT_POOL) return role
    throw problem(`role: staff (${role}) belong to the pool default, not ${ctx.pool}`)
  }
  const staff = ctx.pool === DEFAULT_POOL ? ` or a staff role (${STAFF_ROLES.join(', ')})` : ''
  throw problem(`role: ${shown(role)} is not one of END_USER_ROLES of pool ${ctx.pool} (${endUserRoles.join(', ')})${staff}`)
}

function readStatus(value: unknown): Status | undefined {
  if (value === undefined) return undefined
  const status = text(value, 'status')
  const known = STATUS_ALIASES[status] ?? STATUSES.find((s) => s === status)
  if (!known) throw problem(`status: ${shown(status)} is not one of ${STATUSES.join(', ')} (or inactive)`)
  return known
}

/**
 * The verified flags. `is_verified` speaks of the primary identifier (the phone, else the email),
 * as the user object's `is_verified` does; an explicit `phone_verified`/`email_verified` must agree.
 */
function readVerified(record: SourceRecord, phone: string | null, email: string | null) {
  let phoneVerified = flag(record.phone_verified, 'phone_verified')
  let emailVerified = flag(record.email_verified, 'email_verified')
  const isVerified = flag(record.is_verified, 'is_verified')
  if (phoneVerified && !phone) throw problem('phone_verified: true without a phone')
  if (emailVerified && !email) throw problem('email_verified: true without an email')
  if (isVerified !== undefined && (phone || email)) {
    const primary = phone ? 'phone_verified' : 'email_verified'
    const explicit = phone ? phoneVerified : emailVerified
    if (explicit !== undefined && explicit !== isVerified) throw problem(`is_verified and ${primary} disagree`)
    if (phone) phoneVerified = isVerified
    else emailVerified = isVerified
  }
  const primaryVerified = phone ? phoneVerified : emailVerified
  return { phoneVerified: phoneVerified ?? false, emailVerified: emailVerified ?? false, primaryVerified }
}

function readPasswordHash(value: unknown): { passwordHash: string | null; hashFormat: HashFormat | null } {
  if (value === undefined) return { passwordHash: null, hashFormat: null }
  const stored = text(value, 'password_hash')
  const read = hashFormat(stored)
  if ('problem' in read) throw problem(`password_hash: ${read.problem}`)
  return { passwordHash: stored, hashFormat: read.format }
}

/**
 * Checks and normalises one record into the account to insert, or throws a RecordProblem (./problem). A
 * status left out is `pending` when the record says the primary identifier is not verified,
 * `active` otherwise (an account the old service let sign in).
 */
export function validateRecord(record: SourceRecord, ctx: RecordContext): ImportUser {
  const { config, now } = ctx
  if (record.country_code !== undefined && record.phone === undefined) throw problem('country_code: without a phone')
  const phone = record.phone === undefined ? null : readPhone(record, config)
  const email = record.email === undefined ? null : normalizeEmail(checked(EmailField, record.email, 'email'))
  const role = readRole(record, ctx)
  const staff = STAFF_ROLES.includes(role as StaffRole)
  let username: string | null = null
  if (record.username !== undefined) {
    if (!staff) throw problem('username: only staff accounts have a username (SPEC §4)')
    username = normalizeUsername(checked(UsernameField, record.username, 'username'))
  }
  if (!phone && !email && !username) throw problem(staff ? 'give a username, a phone or an email' : 'give a phone or an email')
  let parentId: string | null = null
  if (role === 'subclient') {
    if (record.parent_id === undefined) throw problem('parent_id: a subclient needs the id of its client')
    parentId = readId(record.parent_id)
  } else if (record.parent_id !== undefined) throw problem('parent_id: only a subclient has a parent')

  const { phoneVerified, emailVerified, primaryVerified } = readVerified(record, phone, email)
  const status = readStatus(record.status) ?? (primaryVerified === false ? 'pending' : 'active')
  const createdAt = record.created_at === undefined ? now : readTime(record.created_at, 'created_at', now)
  const lastLogin = record.last_login === undefined ? null : readTime(record.last_login, 'last_login', now)
  const updatedAt = record.updated_at === undefined ? createdAt : readTime(record.updated_at, 'updated_at', now)
  const id = record.id === undefined ? newId(createdAt) : readId(record.id)
  return {
    id,
    idGiven: record.id !== undefined,
    pool: ctx.pool,
    phone,
    email,
    username,
    name: record.name === undefined ? null : checked(NameField, record.name, 'name'),
    surname: record.surname === undefined ? null : checked(NameField, record.surname, 'surname'),
    role,
    status,
    phoneVerified,
    emailVerified,
    ...readPasswordHash(record.password_hash),
    parentId,
    createdAt,
    updatedAt,
    lastLogin,
    devices: readDevices(record.devices, createdAt, now),
  }
}
