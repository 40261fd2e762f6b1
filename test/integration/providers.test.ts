import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newEmail, newPhone, PASSWORD, register } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { verify } from '../helpers/otp'
import { useQuietErrors } from '../helpers/outbox'

const INFOBIP = {
  SMS_PROVIDER: 'infobip',
  INFOBIP_BASE_URL: 'https://infobip.test',
  INFOBIP_API_KEY: 'ib-secret-key',
  INFOBIP_SENDER: 'EdgeAuth',
}
const VONAGE = {
  SMS_PROVIDER: 'vonage',
  VONAGE_API_BASE: 'https://vonage.test',
  VONAGE_API_KEY: 'vk',
  VONAGE_API_SECRET: 'vonage-secret',
  VONAGE_FROM: '+15005550006',
}
const FAST2SMS = {
  SMS_PROVIDER: 'fast2sms',
  FAST2SMS_API_BASE: 'https://fast2sms.test',
  FAST2SMS_API_KEY: 'f2s-secret-key',
  ALLOWED_COUNTRIES: 'IN',
}
const RESEND = {
  EMAIL_PROVIDER: 'resend',
  RESEND_API_BASE: 'https://resend.test',
  RESEND_API_KEY: 're_secret',
  EMAIL_FROM: 'edge-auth <no-reply@auth.example.tn>',
}
const SENDGRID = {
  EMAIL_PROVIDER: 'sendgrid',
  SENDGRID_API_BASE: 'https://sendgrid.test',
  SENDGRID_API_KEY: 'SG.secret',
  EMAIL_FROM: 'edge-auth <no-reply@auth.example.tn>',
}

const vonageOk = () => Response.json({ 'message-count': '1', messages: [{ status: '0', 'message-id': 'X1' }] })
const vonageRefused = () => Response.json({ 'message-count': '1', messages: [{ status: '4', 'error-text': 'Bad Credentials' }] })

const errors = useQuietErrors()

type Vars = Record<string, string>
type Identifier = { phone: string } | { email: string }

/** The one code (OTP_LENGTH = 6) in a message. */
function codeIn(text: string): string {
  const codes = text.match(/\b\d{6}\b/g) ?? []
  if (codes.length !== 1) throw new Error(`expected one code in ${JSON.stringify(text)}`)
  return codes[0] as string
}

async function challenges(destination: string) {
  const { results } = await env.DB.prepare('SELECT * FROM otp_challenges WHERE destination = ?').bind(destination).all()
  return results
}

/** After a failed send: no KV entry, no challenge row, and the code that was sent does not verify. */
async function expectNoValidCode(who: Identifier, channel: 'sms' | 'email', address: string, code: string, vars: Vars) {
  expect(await env.KV.get(`otp:register:${channel}:${address}`)).toBeNull()
  expect(await challenges(`${channel}:${address}`)).toHaveLength(0)
  await expectError(await verify(who, code, vars), 400, 'invalid_code')
}

const logged = errors.text

describe('SMS_PROVIDER=infobip', () => {
  const infobip = useFakeFetch('https://infobip.test', 200)
  const textOf = (i: number) => JSON.parse(infobip.requests[i]?.body ?? '{}').messages?.[0]?.text ?? ''

  it('sends exactly one /sms/2/text/advanced request whose code verifies the account', async () => {
    const phone = newPhone()
    expect((await register({ phone }, { env: INFOBIP })).status).toBe(201)
    expect(infobip.requests).toHaveLength(1)
    const [req] = infobip.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://infobip.test/sms/2/text/advanced')
    expect(req?.headers.get('authorization')).toBe('App ib-secret-key')
    expect(req?.headers.get('content-type')).toBe('application/json')
    expect(req?.headers.get('accept')).toBe('application/json')
    const text = textOf(0)
    expect(JSON.parse(req?.body ?? '')).toStrictEqual({
      messages: [{ destinations: [{ to: phone.slice(1) }], from: 'EdgeAuth', text }],
    })
    expect(text).toMatch(/^Your edge-auth verification code is \d{6}\. Valid for 10 minutes\.$/)

    const res = await verify({ phone }, codeIn(text), INFOBIP)
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ phone, status: 'active', phone_verified: true })
  })

  it('answers 503 sms_delivery_failed after exactly one retry and leaves no valid code', async () => {
    const phone = newPhone()
    infobip.reply(500, 401)
    const body = await expectError(await register({ phone }, { env: INFOBIP }), 503, 'sms_delivery_failed')
    expect(infobip.requests).toHaveLength(2)
    expect(infobip.requests[1]?.body).toBe(infobip.requests[0]?.body)
    expect(JSON.stringify(body)).not.toMatch(/ib-secret-key|infobip/)
    expect(logged()).toContain('infobip answered 401')
    expect(logged()).not.toContain('ib-secret-key')
    await expectNoValidCode({ phone }, 'sms', phone, codeIn(textOf(0)), INFOBIP)
  })
})

describe('SMS_PROVIDER=vonage', () => {
  const vonage = useFakeFetch('https://vonage.test', vonageOk)

  it('sends exactly one /sms/json form whose code verifies the account', async () => {
    const phone = newPhone()
    expect((await register({ phone }, { env: VONAGE })).status).toBe(201)
    expect(vonage.requests).toHaveLength(1)
    const [req] = vonage.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://vonage.test/sms/json')
    expect(req?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    const form = Object.fromEntries(req?.form ?? [])
    expect(form).toStrictEqual({
      api_key: 'vk',
      api_secret: 'vonage-secret',
      from: '15005550006',
      to: phone.slice(1),
      text: form.text,
    })
    expect(form.text).toMatch(/^Your edge-auth verification code is \d{6}\. Valid for 10 minutes\.$/)

    const res = await verify({ phone }, codeIn(form.text ?? ''), VONAGE)
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ phone, status: 'active', phone_verified: true })
  })

  it('treats HTTP 200 with a non-"0" status as a failure: one retry, then 503, no valid code', async () => {
    const phone = newPhone()
    vonage.reply(vonageRefused, vonageRefused)
    const body = await expectError(await register({ phone }, { env: VONAGE }), 503, 'sms_delivery_failed')
    expect(vonage.requests).toHaveLength(2)
    expect(JSON.stringify(body)).not.toMatch(/Bad Credentials|vonage-secret/)
    expect(logged()).toContain('vonage answered status 4')
    expect(logged()).not.toMatch(/Bad Credentials|vonage-secret/)
    await expectNoValidCode({ phone }, 'sms', phone, codeIn(vonage.requests[0]?.form.get('text') ?? ''), VONAGE)
  })

  it('answers 503 after one retry when Vonage answers 500 twice', async () => {
    const phone = newPhone()
    vonage.reply(500, 500)
    await expectError(await register({ phone }, { env: VONAGE }), 503, 'sms_delivery_failed')
    expect(vonage.requests).toHaveLength(2)
    await expectNoValidCode({ phone }, 'sms', phone, codeIn(vonage.requests[1]?.form.get('text') ?? ''), VONAGE)
  })

  it('succeeds when the retry succeeds', async () => {
    const phone = newPhone()
    vonage.reply(vonageRefused, vonageOk)
    expect((await register({ phone }, { env: VONAGE })).status).toBe(201)
    expect(vonage.requests).toHaveLength(2)
    const res = await verify({ phone }, codeIn(vonage.requests[1]?.form.get('text') ?? ''), VONAGE)
    expect(res.status).toBe(200)
  })
})

describe('SMS_PROVIDER=fast2sms (seed 004)', () => {
  const fast2sms = useFakeFetch('https://fast2sms.test', () => Response.json({ return: true, request_id: 'r1', message: ['ok'] }))
  const vonage = useFakeFetch('https://vonage.test', vonageOk)
  const refused = () => Response.json({ return: false, status_code: 412, message: 'Invalid Authentication secret' })
  const textOf = (i: number) => JSON.parse(fast2sms.requests[i]?.body ?? '{}').message ?? ''
  let n = 0
  /** A fresh Indian mobile (+91 98…). */
  const indianPhone = () => `+9198${String((Date.now() % 1_000_000) * 100 + (n++ % 100)).padStart(8, '0')}`

  it('sends exactly one /dev/bulkV2 request to the ten-digit number, whose code verifies the account', async () => {
    const phone = indianPhone()
    expect((await register({ phone }, { env: FAST2SMS })).status).toBe(201)
    expect(fast2sms.requests).toHaveLength(1)
    const [req] = fast2sms.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://fast2sms.test/dev/bulkV2')
    expect(req?.headers.get('authorization')).toBe('f2s-secret-key')
    expect(req?.headers.get('content-type')).toBe('application/json')
    const text = textOf(0)
    expect(JSON.parse(req?.body ?? '')).toStrictEqual({ route: 'q', message: text, language: 'english', numbers: phone.slice(3) })
    expect(text).toMatch(/^Your edge-auth verification code is \d{6}\. Valid for 10 minutes\.$/)

    const res = await verify({ phone }, codeIn(text), FAST2SMS)
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ phone, status: 'active', phone_verified: true })
  })

  it('treats HTTP 200 with "return": false as a failure: one retry, then 503, no valid code', async () => {
    const phone = indianPhone()
    fast2sms.reply(refused, refused)
    const body = await expectError(await register({ phone }, { env: FAST2SMS }), 503, 'sms_delivery_failed')
    expect(fast2sms.requests).toHaveLength(2)
    expect(JSON.stringify(body)).not.toMatch(/f2s-secret-key|Invalid Authentication/)
    expect(logged()).toContain('fast2sms answered status 412')
    expect(logged()).not.toMatch(/f2s-secret-key|Invalid Authentication/)
    await expectNoValidCode({ phone }, 'sms', phone, codeIn(textOf(0)), FAST2SMS)
  })

  it('leaves a number outside India to SMS_FALLBACK_PROVIDER, without a request to Fast2SMS', async () => {
    const vars = { ...FAST2SMS, ALLOWED_COUNTRIES: '', SMS_FALLBACK_PROVIDER: 'vonage', ...VONAGE, SMS_PROVIDER: 'fast2sms' }
    const phone = newPhone()
    expect((await register({ phone }, { env: vars })).status).toBe(201)
    expect(fast2sms.requests).toHaveLength(0)
    expect(vonage.requests).toHaveLength(1)
    expect(vonage.requests[0]?.form.get('to')).toBe(phone.slice(1))
    const res = await verify({ phone }, codeIn(vonage.requests[0]?.form.get('text') ?? ''), vars)
    expect(res.status).toBe(200)
  })

  it('refuses to start alone on a deployment that accepts other countries: 500 and a fatal line', async () => {
    const res = await call('GET', '/health', { env: { ...FAST2SMS, ALLOWED_COUNTRIES: '' } })
    await expectError(res, 500, 'internal_error')
    const fatal = errors.lines().find((l) => l.includes('"fatal"')) ?? ''
    expect(fatal).toContain('SMS_PROVIDER=fast2sms sends to Indian numbers only')
    expect(fatal).not.toContain('f2s-secret-key')
  })
})

describe('EMAIL_PROVIDER=resend', () => {
  const resend = useFakeFetch('https://resend.test', () => Response.json({ id: 'e-1' }))
  const sent = (i: number) => JSON.parse(resend.requests[i]?.body ?? '{}')

  it('registers by email: one /emails request whose text and html hold the code, which verifies', async () => {
    const email = newEmail()
    expect((await register({ email }, { env: RESEND })).status).toBe(201)
    expect(resend.requests).toHaveLength(1)
    const [req] = resend.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://resend.test/emails')
    expect(req?.headers.get('authorization')).toBe('Bearer re_secret')
    expect(req?.headers.get('content-type')).toBe('application/json')
    const body = sent(0)
    expect(Object.keys(body).sort()).toEqual(['from', 'html', 'subject', 'text', 'to'])
    expect(body.from).toBe('edge-auth <no-reply@auth.example.tn>')
    expect(body.to).toStrictEqual([email])
    expect(body.subject).toEqual(expect.stringContaining('edge-auth'))
    const code = codeIn(body.text)
    expect(body.html).toContain(code)

    const res = await verify({ email }, code, RESEND)
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ email, status: 'active', email_verified: true })
  })

  it('answers 503 email_delivery_failed after exactly one retry and leaves no valid code', async () => {
    const email = newEmail()
    resend.reply(500, 422)
    const body = await expectError(await register({ email }, { env: RESEND }), 503, 'email_delivery_failed')
    expect(resend.requests).toHaveLength(2)
    expect(resend.requests[1]?.body).toBe(resend.requests[0]?.body)
    expect(JSON.stringify(body)).not.toMatch(/re_secret|resend/)
    expect(logged()).toContain('resend answered 422')
    await expectNoValidCode({ email }, 'email', email, codeIn(sent(0).text), RESEND)
  })
})

describe('EMAIL_PROVIDER=sendgrid', () => {
  const sendgrid = useFakeFetch('https://sendgrid.test', 202)
  const sent = (i: number) => JSON.parse(sendgrid.requests[i]?.body ?? '{}')

  it('registers by email: one /v3/mail/send request whose text and html hold the code, which verifies', async () => {
    const email = newEmail()
    expect((await register({ email }, { env: SENDGRID })).status).toBe(201)
    expect(sendgrid.requests).toHaveLength(1)
    const [req] = sendgrid.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://sendgrid.test/v3/mail/send')
    expect(req?.headers.get('authorization')).toBe('Bearer SG.secret')
    expect(req?.headers.get('content-type')).toBe('application/json')
    const body = sent(0)
    const [plain, html] = body.content ?? []
    expect(body).toStrictEqual({
      personalizations: [{ to: [{ email }] }],
      from: { email: 'no-reply@auth.example.tn', name: 'edge-auth' },
      subject: expect.stringContaining('edge-auth'),
      content: [
        { type: 'text/plain', value: plain?.value },
        { type: 'text/html', value: html?.value },
      ],
    })
    const code = codeIn(plain?.value)
    expect(html?.value).toContain(code)

    const res = await verify({ email }, code, SENDGRID)
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ email, status: 'active', email_verified: true })
  })

  it('answers 503 email_delivery_failed after exactly one retry and leaves no valid code', async () => {
    const email = newEmail()
    sendgrid.reply(500, 500)
    const body = await expectError(await register({ email }, { env: SENDGRID }), 503, 'email_delivery_failed')
    expect(sendgrid.requests).toHaveLength(2)
    expect(JSON.stringify(body)).not.toMatch(/SG\.secret|sendgrid/)
    await expectNoValidCode({ email }, 'email', email, codeIn(sent(0).content[0].value), SENDGRID)
  })
})

describe('the console providers in production (SPEC §5: a code is never logged in production)', () => {
  const PRODUCTION = { ENVIRONMENT: 'production', SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console' }

  it('logs a text with its code masked', async () => {
    const logs = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const phone = newPhone()
      const res = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD }, env: PRODUCTION })
      expect(res.status).toBe(201)
      const line = logs.mock.calls.map(([l]) => String(l)).find((l) => l.startsWith(`[sms] to=${phone}`))
      expect(line).toBe(`[sms] to=${phone} body=Your edge-auth verification code is [code]. Valid for 10 minutes.`)
    } finally {
      logs.mockRestore()
    }
  })

  it('logs an email with its code and its link token masked', async () => {
    const logs = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const email = newEmail()
      expect((await call('POST', '/api/v1/auth/register', { json: { email, password: PASSWORD } })).status).toBe(201)
      const code = /\b(\d{6})\b/.exec(logs.mock.calls.map(([l]) => String(l)).join('\n'))?.[1]
      expect((await call('POST', '/api/v1/auth/verify', { json: { email, code } })).status).toBe(200)
      logs.mockClear()
      const vars = { ...PRODUCTION, OTP_RESEND_COOLDOWN_SECONDS: '0' }
      expect((await call('POST', '/api/v1/auth/reset-password', { json: { email }, env: vars })).status).toBe(202)
      const line = logs.mock.calls.map(([l]) => String(l)).find((l) => l.startsWith(`[email] to=${email}`)) ?? ''
      expect(line).toContain('token=[redacted]')
      expect(line).toContain('[code]')
      expect(line).not.toMatch(/\b\d{4,10}\b/)
    } finally {
      logs.mockRestore()
    }
  })

  it('refuses to run in production without SMS_PROVIDER and EMAIL_PROVIDER: 500 and a fatal line naming them', async () => {
    const res = await call('GET', '/health', { env: { ENVIRONMENT: 'production', SMS_PROVIDER: '', EMAIL_PROVIDER: '' } })
    await expectError(res, 500, 'internal_error')
    const fatal = errors.lines().find((l) => l.includes('"fatal"')) ?? ''
    expect(fatal).toMatch(/SMS_PROVIDER: required in production/)
    expect(fatal).toMatch(/EMAIL_PROVIDER: required in production/)
  })
})
