import { describe, expect, it } from 'vitest'
import {
  type Actor,
  canAssignRole,
  canManage,
  grants,
  intersect,
  normalize,
  PERMISSION,
  type Target,
} from '../../src/services/iam'

describe('grants', () => {
  it.each([
    // exact
    [['places:read'], 'places:read', true],
    [['places:read'], 'places:write', false],
    [['places:read'], 'users:read', false],
    [[], 'places:read', false],
    // resource:*
    [['places:*'], 'places:read', true],
    [['places:*'], 'places:write', true],
    [['places:*'], 'users:read', false],
    [['places:*'], 'placesx:read', false],
    // *
    [['*'], 'places:read', true],
    [['*'], 'anything:else', true],
    // a wildcard wanted is granted only by a wildcard at least as wide
    [['places:*'], 'places:*', true],
    [['*'], 'places:*', true],
    [['*'], '*', true],
    [['places:read'], 'places:*', false],
    [['places:read', 'places:write'], 'places:*', false],
    [['places:*'], '*', false],
    [['places:*', 'users:*'], '*', false],
  ] as const)('grants(%j, %s) is %s', (held, wanted, expected) => {
    expect(grants(held, wanted)).toBe(expected)
  })
})

describe('intersect (a sub-client under its parent)', () => {
  it.each([
    [['places:*'], ['places:read'], ['places:read']],
    [['places:read'], ['*'], ['places:read']],
    [['places:read'], ['users:read'], []],
    [['places:read'], [], []],
    [[], ['*'], []],
    [['*'], ['*'], ['*']],
    [['*'], ['places:*'], ['places:*']],
    [['*'], ['users:read', 'places:read'], ['places:read', 'users:read']],
    [['places:*'], ['places:write', 'places:read'], ['places:read', 'places:write']],
    [['places:read', 'places:write'], ['places:read'], ['places:read']],
  ])('intersect(own %j, parent %j) is %j', (own, parent, expected) => {
    expect(intersect(own, parent)).toEqual(expected)
  })

  it('never yields a permission the parent does not grant', () => {
    const parent = ['places:read', 'users:*']
    for (const own of [['*'], ['places:*'], ['places:write', 'users:delete'], ['devices:*', 'places:read']]) {
      for (const p of intersect(own, parent)) expect(grants(parent, p)).toBe(true)
    }
  })
})

describe('normalize', () => {
  it('sorts and deduplicates', () => {
    expect(normalize(['places:write', 'places:read', 'places:write', '*'])).toEqual(['*', 'places:read', 'places:write'])
  })
})

describe('PERMISSION', () => {
  it.each(['places:read', 'places:*', '*', 'ev_chargers:read', 'swap-stations:write2'])('accepts %s', (p) => {
    expect(PERMISSION.test(p)).toBe(true)
  })

  it.each([
    'places',
    'Places:Read',
    'places:Read',
    ':read',
    'places:',
    'a:b:c',
    '*:read',
    '**',
    ' places:read',
    'places:read ',
    '',
  ])('refuses %j', (p) => {
    expect(PERMISSION.test(p)).toBe(false)
  })
})

const ROLES = ['super_admin', 'admin', 'client', 'subclient', 'particulier'] as const
type Role = (typeof ROLES)[number]

const actor = (role: Role): Actor => ({ id: `actor-${role}`, role })
// A sub-client in the matrix belongs to some other client, never to the acting client.
const target = (role: Role): Target => ({
  id: `target-${role}`,
  role,
  parentId: role === 'subclient' ? 'some-other-client' : null,
})

describe('canManage', () => {
  // Rows: actor; columns: target, in the order of ROLES.
  const MATRIX: Record<Role, boolean[]> = {
    super_admin: [false, true, true, true, true],
    admin: [false, false, true, true, true],
    client: [false, false, false, false, false],
    subclient: [false, false, false, false, false],
    particulier: [false, false, false, false, false],
  }
  const cases = ROLES.flatMap((a) => ROLES.map((t, i) => [a, t, MATRIX[a][i]] as const))

  it.each(cases)('a %s acting on a %s: %s', (a, t, expected) => {
    expect(canManage(actor(a), target(t))).toBe(expected)
  })

  it('lets a client act on its own sub-client', () => {
    const client = actor('client')
    expect(canManage(client, { id: 'sub-1', role: 'subclient', parentId: client.id })).toBe(true)
  })

  it("refuses a client another client's sub-client", () => {
    expect(canManage(actor('client'), { id: 'sub-2', role: 'subclient', parentId: 'another-client' })).toBe(false)
  })

  it("refuses a sub-client its parent's other sub-clients and its parent", () => {
    const sub: Actor = { id: 'sub-1', role: 'subclient' }
    expect(canManage(sub, { id: 'sub-2', role: 'subclient', parentId: 'client-1' })).toBe(false)
    expect(canManage(sub, { id: 'client-1', role: 'client', parentId: null })).toBe(false)
  })

  it.each(ROLES)('refuses a %s acting on itself', (role) => {
    const self = actor(role)
    expect(canManage(self, { id: self.id, role, parentId: null })).toBe(false)
  })
})

describe('canAssignRole', () => {
  const END_USER_ROLES = ['particulier', 'agriculteur']
  // Rows: actor; columns: the role given, in the order of ROLES.
  const MATRIX: Record<Role, boolean[]> = {
    super_admin: [false, true, true, false, true],
    admin: [false, false, true, false, true],
    client: [false, false, false, false, false],
    subclient: [false, false, false, false, false],
    particulier: [false, false, false, false, false],
  }
  const cases = ROLES.flatMap((a) => ROLES.map((r, i) => [a, r, MATRIX[a][i]] as const))

  it.each(cases)('a %s giving the role %s: %s', (a, role, expected) => {
    expect(canAssignRole(actor(a), role, END_USER_ROLES)).toBe(expected)
  })

  it('lets admins give any configured end-user role, and no unknown one', () => {
    expect(canAssignRole(actor('admin'), 'agriculteur', END_USER_ROLES)).toBe(true)
    expect(canAssignRole(actor('super_admin'), 'agriculteur', END_USER_ROLES)).toBe(true)
    expect(canAssignRole(actor('admin'), 'technician', END_USER_ROLES)).toBe(false)
    expect(canAssignRole(actor('super_admin'), 'wizard', END_USER_ROLES)).toBe(false)
    expect(canAssignRole(actor('client'), 'agriculteur', END_USER_ROLES)).toBe(false)
  })
})
