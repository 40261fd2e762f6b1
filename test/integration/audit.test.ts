import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { call, expectError } from '../helpers/app'
import { type AuditItem, allAuditRows, origin, readAudit, userIdByPhone } from '../helpers/audit'
import { login, newPhone, PASSWORD, register } from '../helpers/factories'
import { fakeFetch } from '../helpers/fake-fetch'
import { useOutbox } from '../helpers/outbox'
import { createPolicy } from '../helpers/policies'
import { sidOf, sleep } from '../helpers/sessions'
import { TWILIO } from '../helpers/sms'
import { createStaff, createSuperAdmin, type Staff } from '../helpers/staff'

const box = useOutbox({ quietErrors: true })

let root: Staff
let admin: Staff
beforeAll(async () => {
  root = await createSuperAdmin()
  admin = await createStaff(root, 'admin')
})

const NEW_PASSWORD = 'Carthage-Vent7-2027'
const WRONG_PASSWORD = 'Wrong-Guess-2026x'
const RESET_PASSWORD = 'Kairouan-Sun5-2028'
// A reset code follows the register code at once, inside the default cooldown.
const NO_COOLDOWN = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
// No grace: a token presented again after its rotation is reuse, not a client race.
const NO_GRACE = { REFRESH_REUSE_GRACE_SECONDS: '0' }
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

type Origin = ReturnType<typeof origin>
type Vars = Record<string, string>

/** Every token this file was handed; none may ever reach the audit log. */
const issuedTokens = new Set<string>()
function keepTokens<T extends { access_token?: string; refresh_token?: string }>(body: T): T {
  if (body.access_token) issuedTokens.add(body.access_token)
  if (body.refresh_token) issuedTokens.add(body.refresh_token)
  return body
}

/** `call` that expects `status` and returns the JSON body (or null), keeping any tokens. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
async function ok(status: number, res: Promise<Response>): Promise<any> {
  const r = await res
  const text = await r.text()
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status} ${text}`)
  return text ? keepTokens(JSON.parse(text)) : null
}

/** The newest event of `type` that involves `userId`, read through the API as the admin. */
async function eventOf(type: string, userId: string): Promise<AuditItem> {
  const { items } = await readAudit(admin.access_token, `type=${type}&user_id=${userId}`)
  const event = items[0]
  if (!event) throw new Error(`no ${type} event for ${userId}`)
  return event
}

/** The newest event of `type` sent from `o`'s address. */
async function eventFrom(type: string, o: Origin): Promise<AuditItem> {
  const { items } = await readAudit(admin.access_token, `type=${type}&limit=100`)
  const event = items.find((e) => e.ip === o.ip)
  if (!event) throw new Error(`no ${type} event from ${o.ip}`)
  return event
}

/** The fields every event carries, with the request's address and User-Agent. */
function expectEvent(event: AuditItem, expected: Partial<AuditItem> & { from: Origin }) {
  const { from, ...rest } = expected
  expect(Object.keys(event).sort()).toEqual(['actor_id', 'at', 'detail', 'id', 'ip', 'pool', 'subject_id', 'type', 'user_agent'])
  expect(event.at).toMatch(ISO)
  expect(event.pool).toBe('default') // SPEC §12: without USER_POOLS, every event is default's
  expect(event).toMatchObject({ ...rest, ip: from.ip, user_agent: from.headers['user-agent'] })
}

// ---- the flows that write events ----

interface Account {
  phone: string
  userId: string
  access_token: string
  refresh_token: string
}

/** POST /auth/register from `o`; the code texted. */
async function registerFrom(o: Origin, vars?: Vars): Promise<{ phone: string; userId: string; code: string }> {
  const phone = newPhone()
  await ok(201, register({ phone, name: 'Ahmed' }, { env: vars, ...o }))
  return { phone, userId: await userIdByPhone(phone), code: box.lastCode(phone) }
}

/** Registers and verifies: an active, signed-in account. */
async function signUpFrom(vars?: Vars, o: Origin = origin()): Promise<Account> {
  const { phone, userId, code } = await registerFrom(o, vars)
  const body = await ok(200, call('POST', '/api/v1/auth/verify', { json: { phone, code }, env: vars, ...o }))
  return { phone, userId, access_token: body.access_token, refresh_token: body.refresh_token }
}

/** Password login from `o`. */
async function logInFrom(a: { phone: string }, o: Origin, password = PASSWORD, vars?: Vars): Promise<Account> {
  const body = await ok(200, login({ phone: a.phone, password }, { env: vars, ...o }))
  return { phone: a.phone, userId: body.user.id, access_token: body.access_token, refresh_token: body.refresh_token }
}

async function wrongPassword(a: { phone: string }, o: Origin) {
  const res = await login({ phone: a.phone, password: WRONG_PASSWORD }, o)
  await expectError(res, 401, 'invalid_credentials')
}

/** A registration whose text message Twilio refuses; returns the code that was in it. */
async function failedSend(o: Origin): Promise<{ phone: string; userId: string; code: string }> {
  const twilio = fakeFetch('https://twilio.test', 500).install()
  try {
    const phone = newPhone()
    const res = await register({ phone }, { env: TWILIO, ...o })
    await expectError(res, 503, 'sms_delivery_failed')
    const code = /is (\d{6})\./.exec(twilio.requests[0]?.form.get('Body') ?? '')?.[1]
    if (!code) throw new Error('Twilio was not asked to send a code')
    return { phone, userId: await userIdByPhone(phone), code }
  } finally {
    twilio.restore()
  }
}

async function changePassword(a: Account, o: Origin) {
  await ok(
    200,
    call('POST', '/api/v1/auth/change-password', {
      token: a.access_token,
      json: { old_password: PASSWORD, new_password: NEW_PASSWORD },
      ...o,
    }),
  )
}

/** Asks for a reset code from `asking` and sets RESET_PASSWORD with it from `o`. */
async function resetPassword(a: Account, asking: Origin, o: Origin) {
  await ok(202, call('POST', '/api/v1/auth/reset-password', { json: { phone: a.phone }, env: NO_COOLDOWN, ...asking }))
  const code = box.lastCode(a.phone)
  await ok(
    200,
    call('POST', '/api/v1/auth/confirm-reset', {
      json: { phone: a.phone, code, new_password: RESET_PASSWORD },
      env: NO_COOLDOWN,
      ...o,
    }),
  )
}

const logout = (a: Account, o: Origin) => ok(204, call('POST', '/api/v1/auth/logout', { token: a.access_token, ...o }))
const endSession = (a: Account, sid: string, o: Origin) =>
  ok(204, call('DELETE', `/api/v1/me/sessions/${sid}`, { token: a.access_token, ...o }))
const endOtherSessions = (a: Account, o: Origin) =>
  ok(204, call('DELETE', '/api/v1/me/sessions', { token: a.access_token, ...o }))

/** Rotates a refresh token, then presents the spent one again after the (zero) grace window. */
async function reuseRefreshToken(a: Account, o: Origin) {
  await ok(200, call('POST', '/api/v1/auth/refresh', { json: { refresh_token: a.refresh_token }, env: NO_GRACE }))
  await sleep(5)
  const res = await call('POST', '/api/v1/auth/refresh', { json: { refresh_token: a.refresh_token }, env: NO_GRACE, ...o })
  await expectError(res, 401, 'refresh_token_reused')
}

async function createClient(o: Origin): Promise<{ id: string; username: string }> {
  const username = `auditclient${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`
  const body = await ok(
    201,
    call('POST', '/api/v1/clients', { token: admin.access_token, json: { username, password: PASSWORD }, ...o }),
  )
  return { id: body.id, username }
}

const patchUser = (id: string, body: unknown, o: Origin) =>
  ok(200, call('PATCH', `/api/v1/users/${id}`, { token: admin.access_token, json: body, ...o }))
const setStatus = (id: string, action: 'suspend' | 'activate', o: Origin) =>
  ok(200, call('PATCH', `/api/v1/users/${id}/${action}`, { token: admin.access_token, ...o }))

const policyBody = () => ({ name: `audit-${Date.now().toString(36)}-${Math.random()}`, permissions: ['places:read'] })
const postPolicy = (o: Origin) =>
  ok(201, call('POST', '/api/v1/policies', { token: admin.access_token, json: policyBody(), ...o }))
const patchPolicy = (id: string, o: Origin) =>
  ok(200, call('PATCH', `/api/v1/policies/${id}`, { token: admin.access_token, json: { permissions: ['places:*'] }, ...o }))
const deletePolicy = (id: string, o: Origin) =>
  ok(204, call('DELETE', `/api/v1/policies/${id}`, { token: admin.access_token, ...o }))
const putPolicies = (userId: string, ids: string[], o: Origin) =>
  ok(200, call('PUT', `/api/v1/users/${userId}/policies`, { token: admin.access_token, json: { policy_ids: ids }, ...o }))

// ---- one event per security action ----

describe('the audit log records', () => {
  it('user_registered and otp_sent for a registration', async () => {
    const o = origin()
    const { userId } = await registerFrom(o)
    expectEvent(await eventOf('user_registered', userId), {
      type: 'user_registered',
      actor_id: userId,
      subject_id: userId,
      detail: { channel: 'sms', role: 'particulier' },
      from: o,
    })
    expectEvent(await eventOf('otp_sent', userId), {
      type: 'otp_sent',
      subject_id: userId,
      detail: expect.objectContaining({ purpose: 'register', channel: 'sms' }),
      from: o,
    })
  })

  it('login_succeeded with method otp for a verification', async () => {
    const o = origin()
    const a = await signUpFrom(undefined, o)
    expectEvent(await eventOf('login_succeeded', a.userId), {
      type: 'login_succeeded',
      actor_id: a.userId,
      subject_id: a.userId,
      detail: expect.objectContaining({ method: 'otp', purpose: 'register', channel: 'sms' }),
      from: o,
    })
  })

  it('login_succeeded with method password for a password login', async () => {
    const a = await signUpFrom()
    const o = origin()
    await logInFrom(a, o)
    expectEvent(await eventOf('login_succeeded', a.userId), {
      type: 'login_succeeded',
      actor_id: a.userId,
      subject_id: a.userId,
      detail: { method: 'password' },
      from: o,
    })
  })

  it('login_failed for a wrong password, naming the account as subject only', async () => {
    const a = await signUpFrom()
    const o = origin()
    await wrongPassword(a, o)
    expectEvent(await eventOf('login_failed', a.userId), {
      type: 'login_failed',
      actor_id: null,
      subject_id: a.userId,
      detail: { method: 'password' },
      from: o,
    })
  })

  it('login_failed for an unknown account, without subject', async () => {
    const o = origin()
    await wrongPassword({ phone: newPhone() }, o)
    expectEvent(await eventFrom('login_failed', o), {
      type: 'login_failed',
      actor_id: null,
      subject_id: null,
      detail: { method: 'password' },
      from: o,
    })
  })

  it('otp_send_failed when the SMS provider refuses, and no user_registered', async () => {
    const o = origin()
    const { userId } = await failedSend(o)
    expectEvent(await eventOf('otp_send_failed', userId), {
      type: 'otp_send_failed',
      subject_id: userId,
      detail: { purpose: 'register', channel: 'sms', provider: 'twilio' },
      from: o,
    })
    expect((await readAudit(admin.access_token, `type=user_registered&user_id=${userId}`)).items).toEqual([])
  })

  it('password_changed, and sessions_revoked for the other sessions', async () => {
    const a = await signUpFrom()
    const o = origin()
    await changePassword(a, o)
    expectEvent(await eventOf('password_changed', a.userId), {
      type: 'password_changed',
      actor_id: a.userId,
      subject_id: a.userId,
      from: o,
    })
    expectEvent(await eventOf('sessions_revoked', a.userId), {
      type: 'sessions_revoked',
      actor_id: a.userId,
      subject_id: a.userId,
      detail: expect.objectContaining({ reason: 'password_changed', kept: sidOf(a.access_token) }),
      from: o,
    })
  })

  it('password_reset, and sessions_revoked for every session', async () => {
    const a = await signUpFrom(NO_COOLDOWN)
    const o = origin()
    await resetPassword(a, origin(), o)
    expectEvent(await eventOf('password_reset', a.userId), {
      type: 'password_reset',
      actor_id: a.userId,
      subject_id: a.userId,
      detail: { channel: 'sms' },
      from: o,
    })
    expectEvent(await eventOf('sessions_revoked', a.userId), {
      type: 'sessions_revoked',
      subject_id: a.userId,
      detail: expect.objectContaining({ reason: 'password_reset', kept: null }),
      from: o,
    })
  })

  it('session_revoked for a logout', async () => {
    const a = await signUpFrom()
    const o = origin()
    await logout(a, o)
    expectEvent(await eventOf('session_revoked', a.userId), {
      type: 'session_revoked',
      actor_id: a.userId,
      subject_id: a.userId,
      detail: { reason: 'logout', session_id: sidOf(a.access_token) },
      from: o,
    })
  })

  it('session_revoked for DELETE /me/sessions/{id}', async () => {
    const a = await signUpFrom()
    const other = await logInFrom(a, origin())
    const o = origin()
    await endSession(a, sidOf(other.access_token), o)
    expectEvent(await eventOf('session_revoked', a.userId), {
      type: 'session_revoked',
      actor_id: a.userId,
      subject_id: a.userId,
      detail: { reason: 'ended_by_user', session_id: sidOf(other.access_token) },
      from: o,
    })
  })

  it('sessions_revoked for DELETE /me/sessions', async () => {
    const a = await signUpFrom()
    await logInFrom(a, origin())
    await logInFrom(a, origin())
    const o = origin()
    await endOtherSessions(a, o)
    expectEvent(await eventOf('sessions_revoked', a.userId), {
      type: 'sessions_revoked',
      actor_id: a.userId,
      subject_id: a.userId,
      detail: { reason: 'ended_by_user', count: 2, kept: sidOf(a.access_token) },
      from: o,
    })
  })

  it('refresh_token_reused, and session_revoked for the session it ends', async () => {
    const a = await signUpFrom(NO_GRACE)
    const o = origin()
    await reuseRefreshToken(a, o)
    const sid = sidOf(a.access_token)
    expectEvent(await eventOf('refresh_token_reused', a.userId), {
      type: 'refresh_token_reused',
      actor_id: null,
      subject_id: a.userId,
      detail: { session_id: sid },
      from: o,
    })
    expectEvent(await eventOf('session_revoked', a.userId), {
      type: 'session_revoked',
      subject_id: a.userId,
      detail: { reason: 'refresh_token_reused', session_id: sid },
      from: o,
    })
  })

  it('user_created for POST /clients, with the admin as actor', async () => {
    const o = origin()
    const client = await createClient(o)
    expectEvent(await eventOf('user_created', client.id), {
      type: 'user_created',
      actor_id: admin.id,
      subject_id: client.id,
      detail: { role: 'client', parent_id: null },
      from: o,
    })
  })

  it('role_changed for an admin PATCH, with the sessions it ends', async () => {
    const a = await signUpFrom()
    const o = origin()
    await patchUser(a.userId, { role: 'client' }, o)
    expectEvent(await eventOf('role_changed', a.userId), {
      type: 'role_changed',
      actor_id: admin.id,
      subject_id: a.userId,
      detail: { from: 'particulier', to: 'client' },
      from: o,
    })
    expectEvent(await eventOf('sessions_revoked', a.userId), {
      type: 'sessions_revoked',
      actor_id: admin.id,
      subject_id: a.userId,
      detail: expect.objectContaining({ reason: 'role_changed' }),
      from: o,
    })
  })

  it('status_changed for suspend and activate', async () => {
    const a = await signUpFrom()
    const suspending = origin()
    await setStatus(a.userId, 'suspend', suspending)
    expectEvent(await eventOf('status_changed', a.userId), {
      type: 'status_changed',
      actor_id: admin.id,
      subject_id: a.userId,
      detail: { from: 'active', to: 'suspended' },
      from: suspending,
    })
    const activating = origin()
    await setStatus(a.userId, 'activate', activating)
    expectEvent(await eventOf('status_changed', a.userId), {
      type: 'status_changed',
      actor_id: admin.id,
      subject_id: a.userId,
      detail: { from: 'suspended', to: 'active' },
      from: activating,
    })
  })

  it('policy_created, policy_updated and policy_deleted, with the admin as actor', async () => {
    const created = origin()
    const p = await postPolicy(created)
    expectEvent(await eventOf('policy_created', admin.id), {
      type: 'policy_created',
      actor_id: admin.id,
      subject_id: null,
      detail: { policy_id: p.id, permissions: ['places:read'] },
      from: created,
    })
    const updated = origin()
    await patchPolicy(p.id, updated)
    expectEvent(await eventOf('policy_updated', admin.id), {
      type: 'policy_updated',
      actor_id: admin.id,
      subject_id: null,
      detail: { policy_id: p.id, permissions: ['places:*'] },
      from: updated,
    })
    const deleted = origin()
    await deletePolicy(p.id, deleted)
    expectEvent(await eventOf('policy_deleted', admin.id), {
      type: 'policy_deleted',
      actor_id: admin.id,
      subject_id: null,
      detail: { policy_id: p.id },
      from: deleted,
    })
  })

  it('policies_assigned, with the admin as actor and the holder as subject', async () => {
    const client = await createClient(origin())
    const p = await createPolicy(admin.access_token, ['places:read'])
    const o = origin()
    await putPolicies(client.id, [p.id], o)
    expectEvent(await eventOf('policies_assigned', client.id), {
      type: 'policies_assigned',
      actor_id: admin.id,
      subject_id: client.id,
      detail: { policy_ids: [p.id] },
      from: o,
    })
  })
})

describe('the request context of an event', () => {
  it('keeps the first 512 characters of a long User-Agent, and the CF-Connecting-IP only', async () => {
    const a = await signUpFrom()
    const o = origin()
    const userAgent = `edge-auth-audit-test ${'x'.repeat(1000)}`
    await wrongPassword(a, { ip: o.ip, headers: { 'user-agent': userAgent, 'x-forwarded-for': '192.0.2.250' } })
    const event = await eventOf('login_failed', a.userId)
    expect(event.user_agent).toBe(userAgent.slice(0, 512))
    expect(event.ip).toBe(o.ip)
  })
})

// ---- never a secret ----

describe('what the audit log never holds', () => {
  it('holds no password, code, token or password hash, whatever the flows', async () => {
    const a = await signUpFrom(NO_COOLDOWN)
    await logInFrom(a, origin())
    await wrongPassword(a, origin())
    await wrongPassword({ phone: newPhone() }, origin())
    const failed = await failedSend(origin())
    await changePassword(a, origin())
    const b = await signUpFrom(NO_COOLDOWN)
    await resetPassword(b, origin(), origin())
    const c = await signUpFrom()
    const c2 = await logInFrom(c, origin())
    await endSession(c, sidOf(c2.access_token), origin())
    await logInFrom(c, origin())
    await endOtherSessions(c, origin())
    await logout(c, origin())
    await reuseRefreshToken(await signUpFrom(NO_GRACE), origin())
    const client = await createClient(origin())
    const d = await signUpFrom()
    await patchUser(d.userId, { role: 'client' }, origin())
    await setStatus(d.userId, 'suspend', origin())
    await setStatus(d.userId, 'activate', origin())
    const p = await postPolicy(origin())
    await patchPolicy(p.id, origin())
    await putPolicies(client.id, [p.id], origin())
    await deletePolicy(p.id, origin())
    // And a client that logs in with the password it was given.
    keepTokens(await ok(200, call('POST', '/api/v1/auth/login', { json: { username: client.username, password: PASSWORD } })))

    const passwords = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, RESET_PASSWORD]
    const codes = [...box.messages().map((m) => /\b(\d{6})\b/.exec(m.text)?.[1]), failed.code].filter(
      (code): code is string => code !== undefined,
    )
    expect(codes.length).toBeGreaterThanOrEqual(6)
    const { results: hashes } = await env.DB.prepare(
      `SELECT password_hash AS h FROM users WHERE password_hash IS NOT NULL
       UNION ALL SELECT refresh_hash FROM sessions`,
    ).all<{ h: string }>()

    const rows = await allAuditRows()
    const types = new Set(rows.map((r) => r.type))
    for (const type of [
      'user_registered',
      'otp_sent',
      'login_succeeded',
      'login_failed',
      'otp_send_failed',
      'password_changed',
      'password_reset',
      'session_revoked',
      'sessions_revoked',
      'refresh_token_reused',
      'user_created',
      'role_changed',
      'status_changed',
      'policy_created',
      'policy_updated',
      'policy_deleted',
      'policies_assigned',
    ]) {
      expect(types, `no ${type} row to inspect`).toContain(type)
    }

    for (const row of rows) {
      const text = JSON.stringify(row)
      expect(text).not.toContain('$scrypt$')
      for (const password of passwords) expect(text).not.toContain(password)
      // A code bounded by non-alphanumerics, so a digit run inside an id or a timestamp is no match.
      for (const code of codes) expect(text).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`))
      for (const token of issuedTokens) expect(text).not.toContain(token)
      for (const { h } of hashes) expect(text).not.toContain(h)
    }
  })
})

// ---- reading the log ----

describe('GET /api/v1/audit', () => {
  it('lists events newest first, each with its fields', async () => {
    const a = await signUpFrom()
    await wrongPassword(a, origin())
    await logInFrom(a, origin())
    const { items, next_cursor } = await readAudit(admin.access_token, `user_id=${a.userId}&limit=100`)
    expect(next_cursor).toBeNull()
    expect(items.map((e) => e.type).slice(0, 2)).toEqual(['login_succeeded', 'login_failed'])
    for (const e of items) {
      expect(e.at).toMatch(ISO)
      expect(e.id).toEqual(expect.any(String))
    }
    const ids = items.map((e) => e.id)
    expect(ids).toEqual([...ids].sort().reverse())
    const times = items.map((e) => Date.parse(e.at))
    expect(times).toEqual([...times].sort((x, y) => y - x))
  })

  it('filters by user_id, matching the actor or the subject', async () => {
    const client = await createClient(origin())
    const p = await createPolicy(admin.access_token, ['places:read'])
    await putPolicies(client.id, [p.id], origin())
    const asSubject = await readAudit(admin.access_token, `user_id=${client.id}&limit=100`)
    expect(asSubject.items.length).toBeGreaterThanOrEqual(2)
    for (const e of asSubject.items) expect([e.actor_id, e.subject_id]).toContain(client.id)
    expect(asSubject.items.map((e) => e.type)).toEqual(expect.arrayContaining(['user_created', 'policies_assigned']))

    const asActor = await readAudit(admin.access_token, `user_id=${admin.id}&limit=100`)
    for (const e of asActor.items) expect([e.actor_id, e.subject_id]).toContain(admin.id)
    expect(asActor.items.some((e) => e.type === 'policy_created' && e.subject_id === null)).toBe(true)
    expect(asActor.items.some((e) => e.subject_id === client.id)).toBe(true)
  })

  it('filters by type', async () => {
    const a = await signUpFrom()
    await wrongPassword(a, origin())
    await logInFrom(a, origin())
    const { items } = await readAudit(admin.access_token, `type=login_failed&limit=100`)
    expect(items.length).toBeGreaterThan(0)
    for (const e of items) expect(e.type).toBe('login_failed')
    expect((await readAudit(admin.access_token, `type=login_failed&user_id=${a.userId}`)).items).toHaveLength(1)
    expect((await readAudit(admin.access_token, 'type=no_such_event')).items).toEqual([])
  })

  it('pages with limit and cursor, without gaps or repeats', async () => {
    const a = await signUpFrom()
    for (let i = 0; i < 3; i++) await wrongPassword(a, origin())
    await logInFrom(a, origin())
    const all = (await readAudit(admin.access_token, `user_id=${a.userId}&limit=100`)).items
    expect(all.length).toBeGreaterThanOrEqual(6)

    const paged: AuditItem[] = []
    let cursor: string | null = null
    do {
      const page: { items: AuditItem[]; next_cursor: string | null } = await readAudit(
        admin.access_token,
        `user_id=${a.userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(page.items.length).toBeLessThanOrEqual(2)
      paged.push(...page.items)
      cursor = page.next_cursor
    } while (cursor)
    expect(paged).toEqual(all)
  })

  it.each(['limit=0', 'limit=101', 'limit=x'])('refuses %s with 400 validation_error', async (query) => {
    const body = await expectError(
      await call('GET', `/api/v1/audit?${query}`, { token: admin.access_token }),
      400,
      'validation_error',
    )
    expect(body.fields).toHaveProperty('limit')
  })

  it('is open to super admins', async () => {
    expect((await call('GET', '/api/v1/audit', { token: root.access_token })).status).toBe(200)
  })

  it('refuses a client, a sub-client and an end user with 403 forbidden', async () => {
    const clientAccount = await createClient(origin())
    const client = keepTokens(
      await ok(200, call('POST', '/api/v1/auth/login', { json: { username: clientAccount.username, password: PASSWORD } })),
    )
    const sub = await createStaff(
      { id: clientAccount.id, username: clientAccount.username, role: 'client', ...client },
      'subclient',
    )
    const endUser = await signUpFrom()
    for (const token of [client.access_token, sub.access_token, endUser.access_token]) {
      await expectError(await call('GET', '/api/v1/audit', { token }), 403, 'forbidden')
    }
  })

  it('refuses a call without a token with 401 unauthorized, and a bad token with 401 invalid_token', async () => {
    await expectError(await call('GET', '/api/v1/audit'), 401, 'unauthorized')
    await expectError(await call('GET', '/api/v1/audit', { token: 'a.b.c' }), 401, 'invalid_token')
  })
})
