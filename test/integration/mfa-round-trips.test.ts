import { describe, expect, it } from 'vitest'
import { call } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { enrolTotp, expectMfaRequired, mfaVerify, totpCode } from '../helpers/mfa'
import { activeUser, newIp, verify } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { assertionFor, enrol } from '../helpers/passkeys'
import { countTrips, listCalls, recordFlow, type TripCount, type Trips } from '../helpers/round-trips'

// The MFA path's storage round trips (SPEC §14), counted as round-trips.test.ts counts the others
// (which stay as they were: users without MFA pay nothing for it).

const box = useOutbox()
const FAST = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const d1 = (n: number): Trips => ({ d1: n, kvRead: 0, kvWrite: 0 })

function expectTrips(count: TripCount<Response>, e: { flow: string; status: number; before: Trips; floor: string }) {
  recordFlow(count, { flow: e.flow, floor: e.floor })
  expect(count.response.status, listCalls(count)).toBe(e.status)
  expect(count.before, listCalls(count)).toEqual(e.before)
}

async function mfaUser() {
  const user = await activeUser(box, { env: FAST })
  return { ...user, ...(await enrolTotp(user.access_token, FAST)) }
}

const passwordLogin = (phone: string) =>
  call('POST', '/api/v1/auth/login', { json: { phone, password: PASSWORD }, env: FAST, ip: newIp() })

describe('storage round trips of the MFA path', () => {
  it('a password login with MFA on makes two D1 calls (the read, then the mfa token instead of the session)', async () => {
    const user = await mfaUser()
    const count = await countTrips(() => passwordLogin(user.phone))
    expectTrips(count, { flow: 'POST /auth/login (password, MFA on)', status: 403, before: d1(2), floor: '2 D1, 0 KV' })
  })

  it('a code login with MFA on makes one D1 call (the code spent and the mfa token issued in one batch)', async () => {
    const user = await mfaUser()
    await call('POST', '/api/v1/auth/login', { json: { phone: user.phone, use_otp: true }, env: FAST, ip: newIp() })
    const code = box.lastCode(user.phone)
    const count = await countTrips(() => verify(user.phone, code, FAST))
    expectTrips(count, { flow: 'POST /auth/verify (login code, MFA on)', status: 403, before: d1(1), floor: '1 D1, 0 KV' })
  })

  it('POST /auth/mfa/verify makes two D1 calls: the attempt, then the factor, the token and the session', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone))
    const count = await countTrips(() => mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret, 1) }, FAST))
    expectTrips(count, { flow: 'POST /auth/mfa/verify (TOTP)', status: 200, before: d1(2), floor: '2 D1, 0 KV' })
  })

  it('a wrong second factor costs one D1 call', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone))
    const wrong = String((Number(totpCode(user.secret, 1)) + 1) % 1_000_000).padStart(6, '0')
    const count = await countTrips(() => mfaVerify({ mfa_token: mfaToken, totp: wrong }, FAST))
    expectTrips(count, { flow: 'POST /auth/mfa/verify (wrong code)', status: 400, before: d1(1), floor: '1 D1, 0 KV' })
  })
  it('a passkey as the second factor makes two D1 calls too; a refused one, one', async () => {
    const user = await activeUser(box, { env: FAST })
    const { authenticator } = await enrol(user.access_token, { env: FAST })
    await enrolTotp(user.access_token, FAST) // MFA on; the passkey is one of its factors
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone), ['totp', 'recovery_code', 'passkey'])
    const other = await enrol((await activeUser(box, { env: FAST })).access_token, { env: FAST })
    const theirs = await assertionFor(other.authenticator, undefined, { env: FAST })
    const refused = await countTrips(() => mfaVerify({ mfa_token: mfaToken, passkey: theirs }, FAST))
    expectTrips(refused, { flow: 'POST /auth/mfa/verify (passkey refused)', status: 401, before: d1(1), floor: '1 D1, 0 KV' })
    const passkey = await assertionFor(authenticator, { phone: user.phone }, { env: FAST })
    const count = await countTrips(() => mfaVerify({ mfa_token: mfaToken, passkey }, FAST))
    expectTrips(count, { flow: 'POST /auth/mfa/verify (passkey)', status: 200, before: d1(2), floor: '2 D1, 0 KV' })
  })
})
