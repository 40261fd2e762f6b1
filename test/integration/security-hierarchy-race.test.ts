import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { userRow } from '../helpers/iam'
import { useOutbox } from '../helpers/outbox'
import { createStaff, createSuperAdmin, newUsername, type Staff } from '../helpers/staff'

// Keeps the console providers' messages out of the test log.
useOutbox()

const demote = (admin: Staff, clientId: string) =>
  call('PATCH', `/api/v1/users/${clientId}`, { token: admin.access_token, json: { role: 'particulier' } })
const createSubclient = (creator: Staff, clientId?: string) =>
  call('POST', '/api/v1/subclients', {
    token: creator.access_token,
    json: { username: newUsername('sub'), password: PASSWORD, ...(clientId ? { client_id: clientId } : {}) },
  })

/** Sub-clients whose parent is missing or is not an active client: must always be none. */
async function strandedSubclients(): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT count(*) AS n FROM users AS child LEFT JOIN users AS parent ON parent.id = child.parent_id
     WHERE child.role = 'subclient' AND (parent.id IS NULL OR parent.role <> 'client' OR parent.status <> 'active')`,
  ).first<{ n: number }>()
  return row?.n ?? 0
}

describe('a client demoted while a sub-client is created for it (issue 14)', () => {
  it('never leaves a sub-client under a non-client: exactly one of the two wins, every time', async () => {
    const admin = await createStaff(await createSuperAdmin(), 'admin')
    for (let round = 0; round < 12; round++) {
      const client = await createStaff(admin, 'client')
      // Alternate who starts first, so each side gets the chance to run ahead.
      const [demotion, creation]: [Response, Response] =
        round % 2 === 0
          ? await Promise.all([demote(admin, client.id), createSubclient(admin, client.id)])
          : await Promise.all([createSubclient(admin, client.id), demote(admin, client.id)]).then(([c, d]) => [d, c])
      const won = [demotion.status, creation.status]
      expect(
        won.filter((s) => s < 300),
        `round ${round}: ${won}`,
      ).toHaveLength(1)
      if (demotion.status === 200) {
        await expectError(creation, 404, 'not_found')
        expect((await userRow(client.id))?.role).toBe('particulier')
      } else {
        expect(creation.status).toBe(201)
        const refused = await expectError(demotion, 400, 'validation_error')
        expect(refused.fields).toEqual({ role: 'This client still has sub-clients' })
        expect((await json(creation)).parent_id).toBe(client.id)
      }
      expect(await strandedSubclients()).toBe(0)
    }
  })

  it('a client creating its own sub-client while demoted: refused, nothing stranded', async () => {
    const admin = await createStaff(await createSuperAdmin(), 'admin')
    for (let round = 0; round < 6; round++) {
      const client = await createStaff(admin, 'client')
      const [demotion, creation] = await Promise.all([demote(admin, client.id), createSubclient(client)])
      expect([demotion.status, creation.status].filter((s) => s < 300)).toHaveLength(1)
      if (demotion.status === 200) expect([401, 403]).toContain(creation.status)
      expect(await strandedSubclients()).toBe(0)
    }
  })

  it('refuses a sub-client under a suspended client: 404, as for no client', async () => {
    const admin = await createStaff(await createSuperAdmin(), 'admin')
    const client = await createStaff(admin, 'client')
    await env.DB.prepare("UPDATE users SET status = 'suspended' WHERE id = ?").bind(client.id).run()
    await expectError(await createSubclient(admin, client.id), 404, 'not_found')
    expect(await strandedSubclients()).toBe(0)
  })
})
