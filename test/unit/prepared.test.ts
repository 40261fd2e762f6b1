import { env } from 'cloudflare:workers'
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { newId } from '../../src/crypto/random'
import { createDb } from '../../src/storage/db/client'
import { type BatchStatement, once, prepared, runBatch } from '../../src/storage/db/prepared'
import { users } from '../../src/storage/db/schema'
import { auditRepo } from '../../src/storage/repos/audit'

const db = createDb(env.DB)

/** A raw statement in a `runBatch`, its rows as D1 returns them. */
const rawItem = <Row = Record<string, unknown>>(statement: D1PreparedStatement): BatchStatement<Row[]> => ({
  statement,
  read: (result) => result.results as Row[],
})
const at = sql.placeholder

async function twoUsers() {
  const now = Date.now()
  const rows = [0, 1].map((i) => ({
    id: newId(now),
    phone: `+2165000${String(now % 10_000).padStart(4, '0')}${i}`,
    role: 'user',
    status: 'active' as const,
    phoneVerified: i === 0,
    createdAt: now,
    updatedAt: now,
  }))
  await db.insert(users).values(rows)
  return rows
}

describe('prepared queries (built once, bound per call, run in one D1 batch)', () => {
  it('binds each call to its own values and reads rows as drizzle would (column names, booleans)', async () => {
    const [a, b] = await twoUsers()
    const byId = prepared(
      env.DB,
      db
        .select()
        .from(users)
        .where(eq(users.id, at('id')))
        .prepare(),
    )
    const [first, second] = await runBatch(env.DB, [byId({ id: a?.id }), byId({ id: b?.id })])
    expect(first).toEqual([
      await db
        .select()
        .from(users)
        .where(eq(users.id, a?.id ?? ''))
        .get(),
    ])
    expect(first[0]).toMatchObject({ id: a?.id, phoneVerified: true, createdAt: a?.createdAt })
    expect(second[0]).toMatchObject({ id: b?.id, phoneVerified: false })
  })

  it('runs the batch as one transaction: a later statement sees an earlier one, a failing one undoes all', async () => {
    const [a] = await twoUsers()
    const rename = prepared(
      env.DB,
      db
        .update(users)
        .set({ name: sql`${at('name')}` })
        .where(eq(users.id, at('id')))
        .returning({ name: users.name })
        .prepare(),
    )
    const read = rawItem<{ name: string }>(env.DB.prepare('SELECT name FROM users WHERE id = ?').bind(a?.id))
    const [renamed, seen] = await runBatch(env.DB, [rename({ id: a?.id, name: 'Aziza' }), read])
    expect(renamed).toEqual([{ name: 'Aziza' }])
    expect(seen).toEqual([{ name: 'Aziza' }])

    const broken = rawItem(env.DB.prepare('INSERT INTO users (id) VALUES (?)').bind(a?.id)) // NOT NULL and UNIQUE fail
    await expect(runBatch(env.DB, [rename({ id: a?.id, name: 'Lost' }), broken])).rejects.toThrow()
    expect(
      (
        await db
          .select({ name: users.name })
          .from(users)
          .where(eq(users.id, a?.id ?? ''))
          .get()
      )?.name,
    ).toBe('Aziza')
  })

  it('builds on first use only, and once', () => {
    let builds = 0
    const get = once(() => ++builds)
    expect(builds).toBe(0)
    expect([get(), get()]).toEqual([1, 1])
  })
})

describe('prepared inserts of JSON columns (audit rows)', () => {
  it('store a missing detail as SQL NULL and a detail as its JSON text, as drizzle would', async () => {
    const audit = auditRepo(db)
    const row = { at: Date.now(), type: 'otp_sent', actorId: null, subjectId: null, pool: 'default', ip: null, userAgent: null }
    const [bare, detailed] = [newId(), newId()]
    await audit.insert({ ...row, id: bare, detail: null })
    await audit.insert({ ...row, id: detailed, detail: { purpose: 'login', n: 1 } })
    const read = (id: string) =>
      env.DB.prepare('SELECT detail FROM audit_events WHERE id = ?').bind(id).first<{ detail: string | null }>()
    expect(await read(bare)).toEqual({ detail: null })
    expect(await read(detailed)).toEqual({ detail: '{"purpose":"login","n":1}' })
    expect((await audit.page({ limit: 50 })).find((r) => r.id === detailed)?.detail).toEqual({ purpose: 'login', n: 1 })
  })
})
