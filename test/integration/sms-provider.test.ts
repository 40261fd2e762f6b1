import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { DeliveryError } from '../../src/providers/delivery'
import { twilioSmsSender } from '../../src/providers/sms/twilio'
import type { E164 } from '../../src/services/identifiers'
import { call, expectError, json } from '../helpers/app'
import { newIp, newPhone, register } from '../helpers/factories'
import { fakeFetch, useFakeFetch } from '../helpers/fake-fetch'
import { challengesOf, verify } from '../helpers/otp'
import { useQuietErrors } from '../helpers/outbox'
import { codeIn, TWILIO } from '../helpers/sms'

const MESSAGES_URL = 'https://twilio.test/2010-04-01/Accounts/AC123/Messages.json'
const CODE_TEXT = /^Your edge-auth verification code is (\d{6})\. Valid for 10 minutes\.$/

const twilio = useFakeFetch('https://twilio.test')
const errors = useQuietErrors()

const logged = errors.text

describe('SMS_PROVIDER=twilio at the HTTP level', () => {
  it('sends exactly one Messages.json request with Basic auth and the form of SPEC §8', async () => {
    const phone = newPhone()
    const res = await register({ phone }, { env: TWILIO })
    expect(res.status).toBe(201)
    expect(twilio.requests).toHaveLength(1)
    const [req] = twilio.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe(MESSAGES_URL)
    expect(req?.headers.get('authorization')).toBe(`Basic ${btoa('AC123:secret')}`)
    expect(req?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect([...(req?.form.keys() ?? [])].sort()).toEqual(['Body', 'From', 'To'])
    expect(req?.form.get('To')).toBe(phone)
    expect(req?.form.get('From')).toBe('+15005550006')
    expect(req?.form.get('Body')).toMatch(CODE_TEXT)
    expect(req?.body).toContain(`To=${encodeURIComponent(phone)}`)
  })

  it('texts a code that verifies the account', async () => {
    const phone = newPhone()
    expect((await register({ phone }, { env: TWILIO })).status).toBe(201)
    const code = codeIn(twilio.requests[0]?.form.get('Body') ?? null)
    const res = await verify(phone, code, TWILIO)
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ phone, status: 'active', phone_verified: true })
  })

  it('sends MessagingServiceSid instead of From when only a messaging service is configured', async () => {
    const { TWILIO_PHONE_NUMBER: _, ...withoutNumber } = TWILIO
    const phone = newPhone()
    const res = await register({ phone }, { env: { ...withoutNumber, TWILIO_MESSAGING_SERVICE_SID: 'MG1' } })
    expect(res.status).toBe(201)
    expect(twilio.requests).toHaveLength(1)
    const form = twilio.requests[0]?.form
    expect(form?.get('MessagingServiceSid')).toBe('MG1')
    expect(form?.has('From')).toBe(false)
    expect(form?.get('To')).toBe(phone)
    expect(form?.get('Body')).toMatch(CODE_TEXT)
  })

  it('answers 503 sms_delivery_failed after one retry when the provider answers 500 twice', async () => {
    const phone = newPhone()
    twilio.reply(500, 500)
    await expectError(await register({ phone }, { env: TWILIO }), 503, 'sms_delivery_failed')
    expect(twilio.requests).toHaveLength(2)
    expect(twilio.requests[1]?.body).toBe(twilio.requests[0]?.body)
  })

  it('leaves no valid code after a failed send: no KV entry, no challenge row, the texted code fails', async () => {
    const phone = newPhone()
    twilio.reply(500, 500)
    await expectError(await register({ phone }, { env: TWILIO }), 503, 'sms_delivery_failed')
    expect(await env.KV.get(`otp:register:sms:${phone}`)).toBeNull()
    expect(await challengesOf(phone)).toHaveLength(0)
    const code = codeIn(twilio.requests[0]?.form.get('Body') ?? null)
    await expectError(await verify(phone, code, TWILIO), 400, 'invalid_code')
  })

  it('logs the failure without the code or the credentials', async () => {
    twilio.reply(500, 500)
    await expectError(await register({ phone: newPhone() }, { env: TWILIO }), 503, 'sms_delivery_failed')
    const code = codeIn(twilio.requests[0]?.form.get('Body') ?? null)
    expect(logged()).toContain('twilio answered 500')
    expect(logged()).not.toContain(code)
    expect(logged()).not.toMatch(/secret|Basic /)
  })

  it('does not charge the cooldown for a failed send: registering again at once reaches the provider', async () => {
    const phone = newPhone()
    twilio.reply(500, 500)
    await expectError(await register({ phone }, { env: TWILIO }), 503, 'sms_delivery_failed')

    const again = await register({ phone }, { env: TWILIO })
    expect(again.status).toBe(201)
    expect(twilio.requests).toHaveLength(3)
    const res = await verify(phone, codeIn(twilio.requests[2]?.form.get('Body') ?? null), TWILIO)
    expect(res.status).toBe(200)
  })

  it('succeeds when the retry succeeds (500, then 201)', async () => {
    const phone = newPhone()
    twilio.reply(500, 201)
    const res = await register({ phone }, { env: TWILIO })
    expect(res.status).toBe(201)
    expect(twilio.requests).toHaveLength(2)
    const code = codeIn(twilio.requests[1]?.form.get('Body') ?? null)
    expect(codeIn(twilio.requests[0]?.form.get('Body') ?? null)).toBe(code)
    expect((await verify(phone, code, TWILIO)).status).toBe(200)
  })

  it('treats a network failure like a failed answer: one retry, then 503', async () => {
    const phone = newPhone()
    const unreachable = () => Promise.reject(new TypeError('Network connection lost.'))
    twilio.reply(unreachable, unreachable)
    await expectError(await register({ phone }, { env: TWILIO }), 503, 'sms_delivery_failed')
    expect(twilio.requests).toHaveLength(2)
    expect(await challengesOf(phone)).toHaveLength(0)
  })

  it('never puts the provider answer or the credentials in the error body', async () => {
    twilio.reply(
      () => new Response('{"message":"Authenticate secret"}', { status: 401 }),
      () => new Response('{"message":"Authenticate secret"}', { status: 401 }),
    )
    const body = await expectError(await register({ phone: newPhone() }, { env: TWILIO }), 503, 'sms_delivery_failed')
    expect(JSON.stringify(body)).not.toMatch(/secret|AC123|Authenticate/)
  })

  describe('background sends (login with use_otp)', () => {
    // The registration code went to the same phone a moment ago: lift the resend cooldown.
    const VARS = { ...TWILIO, OTP_RESEND_COOLDOWN_SECONDS: '0' }

    async function activeUser(): Promise<string> {
      const phone = newPhone()
      expect((await register({ phone }, { env: VARS })).status).toBe(201)
      const code = codeIn(twilio.requests.at(-1)?.form.get('Body') ?? null)
      expect((await verify(phone, code, VARS)).status).toBe(200)
      return phone
    }

    const loginOtp = (phone: string) =>
      call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: VARS, ip: newIp() })

    it('still answers 202 when the provider fails, after one retry', async () => {
      const phone = await activeUser()
      const before = twilio.requests.length
      twilio.reply(500, 500)
      const res = await loginOtp(phone)
      expect(res.status).toBe(202)
      expect(await json(res)).toEqual({ message: 'OTP sent', detail: 'If the account exists, a login code has been sent' })
      expect(twilio.requests.length - before).toBe(2)
      expect(twilio.requests.at(-1)?.form.get('Body')).toMatch(/^Your edge-auth login code is \d{6}\./)
    })

    it('releases the reservation of a failed background send: no login challenge, no KV entry', async () => {
      const phone = await activeUser()
      twilio.reply(500, 500)
      expect((await loginOtp(phone)).status).toBe(202)
      const open = (await challengesOf(phone)).filter((row) => row.purpose === 'login')
      expect(open).toHaveLength(0)
      expect(await env.KV.get(`otp:login:sms:${phone}`)).toBeNull()
      const code = codeIn(twilio.requests.at(-1)?.form.get('Body') ?? null)
      await expectError(await verify(phone, code, VARS), 400, 'invalid_code')
    })

    it('does not charge the cooldown for a failed background send: asking again reaches the provider', async () => {
      const phone = await activeUser()
      const cooled = { ...TWILIO, OTP_RESEND_COOLDOWN_SECONDS: '60' }
      twilio.reply(500, 500)
      // Age the sign-up challenge past the window, so only the failed login send could block.
      await env.DB.prepare('UPDATE otp_challenges SET created_at = created_at - 120000 WHERE destination = ?')
        .bind(`sms:${phone}`)
        .run()
      const first = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: cooled, ip: newIp() })
      expect(first.status).toBe(202)
      const before = twilio.requests.length
      const second = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: cooled, ip: newIp() })
      expect(second.status).toBe(202)
      expect(twilio.requests.length - before).toBe(1)
      const res = await verify(phone, codeIn(twilio.requests.at(-1)?.form.get('Body') ?? null), cooled)
      expect(res.status).toBe(200)
    })
  })
})

describe('twilioSmsSender', () => {
  const cfg = { apiBase: 'https://twilio.test/', accountSid: 'AC123', authToken: 'secret', from: '+15005550006' }
  const to = '+21698765432' as E164

  it('POSTs the form to Messages.json with Basic auth and a timeout', async () => {
    const fake = fakeFetch('https://twilio.test')
    await twilioSmsSender(cfg, fake.fetch).send(to, 'Your code is 123456.')
    expect(fake.requests).toHaveLength(1)
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe(MESSAGES_URL)
    expect(req?.headers.get('authorization')).toBe(`Basic ${btoa('AC123:secret')}`)
    expect(req?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(req?.body).toBe('To=%2B21698765432&Body=Your+code+is+123456.&From=%2B15005550006')
    expect(req?.signal).toBeInstanceOf(AbortSignal)
  })

  it('sends MessagingServiceSid and no From when a messaging service is set', async () => {
    const fake = fakeFetch('https://twilio.test')
    await twilioSmsSender({ ...cfg, from: undefined, messagingServiceSid: 'MG1' }, fake.fetch).send(to, 'hi')
    expect(Object.fromEntries(fake.requests[0]?.form ?? [])).toEqual({ To: to, Body: 'hi', MessagingServiceSid: 'MG1' })
  })

  it('throws a DeliveryError naming the status, not the answer body, on a non-2xx answer', async () => {
    const fake = fakeFetch('https://twilio.test', () => new Response('{"message":"secret detail"}', { status: 400 }))
    const sending = twilioSmsSender(cfg, fake.fetch).send(to, 'hi')
    await expect(sending).rejects.toBeInstanceOf(DeliveryError)
    await expect(twilioSmsSender(cfg, fake.fetch).send(to, 'hi')).rejects.toThrow(/^twilio answered 400$/)
  })

  it('resolves on any 2xx answer', async () => {
    const fake = fakeFetch('https://twilio.test', 200)
    await expect(twilioSmsSender(cfg, fake.fetch).send(to, 'hi')).resolves.toBeUndefined()
  })
})
