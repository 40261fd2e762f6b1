import { describe, expect, it } from 'vitest'
import { json } from '../helpers/app'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { creationOptions, enrol, requestOptions, verifyAssertion } from '../helpers/passkeys'
import { countTrips, listCalls, recordFlow, type TripCount, type Trips } from '../helpers/round-trips'

// Issue 15's discipline for the passkey flows (SPEC §14): the storage calls each makes before
// its answer. A sign-in needs the stored public key before it can decide, so two D1 round trips
// is its floor: read the passkey, then one batch that uses the challenge and opens the session.

const box = useOutbox()

const none = { d1: 0, kvRead: 0, kvWrite: 0 }
const d1 = (n: number): Trips => ({ ...none, d1: n })

function expectTrips(count: TripCount<Response>, expected: { flow: string; status: number; before: Trips; floor: string }) {
  recordFlow(count, { flow: expected.flow, floor: expected.floor })
  expect(count.requests).toBe(1)
  expect(count.response.status, listCalls(count)).toBe(expected.status)
  expect(count.before, listCalls(count)).toEqual(expected.before)
}

describe('passkey round trips before the answer', () => {
  it('creation options: one D1 batch (challenge, account, its passkeys)', async () => {
    const user = await activeUser(box)
    const count = await countTrips(() => creationOptions(user.access_token))
    expectTrips(count, { flow: 'POST /me/passkeys/options', status: 200, before: d1(1), floor: '1 D1' })
  })

  it('sign-in options for an identifier: one D1 batch (limit, challenge, passkeys)', async () => {
    const user = await activeUser(box)
    await enrol(user.access_token)
    const count = await countTrips(() => requestOptions({ phone: user.phone }))
    expectTrips(count, { flow: 'POST /auth/passkey/options', status: 200, before: d1(1), floor: '1 D1' })
  })

  it('a passkey sign-in: two D1 batches and no KV call', async () => {
    const user = await activeUser(box)
    const { authenticator } = await enrol(user.access_token)
    const assertion = await authenticator.get(await json(await requestOptions(undefined)))
    const count = await countTrips(() => verifyAssertion(assertion))
    expectTrips(count, {
      flow: 'POST /auth/passkey/verify',
      status: 200,
      before: d1(2),
      floor: '2 D1 (read the key, then decide)',
    })
  })
})
