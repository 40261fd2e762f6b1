import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest'
import { ConfigError } from '../../src/config'
import { DeliveryError, PROVIDER_TIMEOUT_MS } from '../../src/providers/delivery'
import { emailSenderFor } from '../../src/providers/email'
import { resendEmailSender } from '../../src/providers/email/resend'
import type { EmailMessage } from '../../src/providers/email/sender'
import { parseMailbox, sendgridEmailSender } from '../../src/providers/email/sendgrid'
import { smsSenderFor } from '../../src/providers/sms'
import { fast2smsSmsSender } from '../../src/providers/sms/fast2sms'
import { infobipSmsSender } from '../../src/providers/sms/infobip'
import { msisdn } from '../../src/providers/sms/sender'
import { vonageSmsSender } from '../../src/providers/sms/vonage'
import type { E164 } from '../../src/services/identifiers'
import { testConfig } from '../helpers/config'
import { type FakeFetch, fakeFetch, useFakeFetch } from '../helpers/fake-fetch'

const TO = '+21698765432' as E164
const SECRET_BODY = '{"error":"leaked-detail secret-token 41793026727"}'
const secretReply = (status: number) => () =>
  new Response(SECRET_BODY, { status, headers: { 'content-type': 'application/json' } })

const MAIL: EmailMessage = {
  to: 'amira@example.tn',
  subject: 'Your edge-auth verification code',
  text: 'Your code is 123456.',
  html: '<p>Your code is <b>123456</b>.</p>',
}

let timeout: MockInstance<typeof AbortSignal.timeout>
beforeEach(() => {
  timeout = vi.spyOn(AbortSignal, 'timeout')
})
afterEach(() => {
  timeout.mockRestore()
})

/** The request carried the signal of `AbortSignal.timeout(PROVIDER_TIMEOUT_MS)`. */
function expectTimeoutSignal(fake: FakeFetch) {
  expect(timeout).toHaveBeenCalledWith(PROVIDER_TIMEOUT_MS)
  expect(PROVIDER_TIMEOUT_MS).toBe(5000)
  const signal = fake.requests[0]?.signal
  expect(signal).toBeInstanceOf(AbortSignal)
  expect(signal).toBe(timeout.mock.results.at(-1)?.value)
}

/** A rejected send is a DeliveryError whose message is exactly `message` (no answer body in it). */
async function expectDeliveryError(sending: Promise<void>, message: string) {
  const err = await sending.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DeliveryError)
  expect((err as Error).message).toBe(message)
  expect((err as Error).message).not.toMatch(/leaked|secret|Bad Credentials|41793026727/)
}

describe('msisdn', () => {
  it("drops the '+' of an E.164 number and leaves alphanumeric sender IDs alone", () => {
    expect(msisdn('+21698765432')).toBe('21698765432')
    expect(msisdn('21698765432')).toBe('21698765432')
    expect(msisdn('InfoSMS')).toBe('InfoSMS')
    expect(msisdn('+Acme')).toBe('+Acme')
  })
})

describe('infobipSmsSender', () => {
  const cfg = { baseUrl: 'https://infobip.test/', apiKey: 'ib-key', sender: 'EdgeAuth' }

  it('POSTs the JSON of SPEC §8 to /sms/2/text/advanced with App auth and a timeout', async () => {
    const fake = fakeFetch('https://infobip.test', 200)
    await infobipSmsSender(cfg, fake.fetch).send(TO, 'Your code is 123456.')
    expect(fake.requests).toHaveLength(1)
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://infobip.test/sms/2/text/advanced')
    expect(req?.headers.get('authorization')).toBe('App ib-key')
    expect(req?.headers.get('content-type')).toBe('application/json')
    expect(req?.headers.get('accept')).toBe('application/json')
    expect(JSON.parse(req?.body ?? '')).toStrictEqual({
      messages: [{ destinations: [{ to: '21698765432' }], from: 'EdgeAuth', text: 'Your code is 123456.' }],
    })
    expectTimeoutSignal(fake)
  })

  it("sends a numeric sender without its '+'", async () => {
    const fake = fakeFetch('https://infobip.test', 200)
    await infobipSmsSender({ ...cfg, sender: '+447491163443' }, fake.fetch).send(TO, 'hi')
    expect(JSON.parse(fake.requests[0]?.body ?? '').messages[0].from).toBe('447491163443')
  })

  it('throws a DeliveryError naming only the status on a non-2xx answer', async () => {
    for (const status of [400, 401, 500]) {
      const fake = fakeFetch('https://infobip.test', secretReply(status))
      await expectDeliveryError(infobipSmsSender(cfg, fake.fetch).send(TO, 'hi'), `infobip answered ${status}`)
    }
  })

  it('lets a network failure through (the caller retries it)', async () => {
    const fake = fakeFetch('https://infobip.test', () => Promise.reject(new TypeError('Network connection lost.')))
    await expect(infobipSmsSender(cfg, fake.fetch).send(TO, 'hi')).rejects.toThrow(TypeError)
  })
})

describe('vonageSmsSender', () => {
  const cfg = { apiBase: 'https://vonage.test/', apiKey: 'vk', apiSecret: 'vs-secret', from: 'EdgeAuth' }
  const answer =
    (...statuses: string[]) =>
    () =>
      Response.json({
        'message-count': String(statuses.length),
        messages: statuses.map((status) => ({
          to: '21698765432',
          status,
          ...(status === '0' ? { 'message-id': '0C000000217B7F02' } : { 'error-text': 'Bad Credentials secret-token' }),
        })),
      })

  it('POSTs the form of SPEC §8 to /sms/json with a timeout', async () => {
    const fake = fakeFetch('https://vonage.test', answer('0'))
    await vonageSmsSender(cfg, fake.fetch).send(TO, 'Your code is 123456.')
    expect(fake.requests).toHaveLength(1)
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://vonage.test/sms/json')
    expect(req?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(req?.headers.get('accept')).toBe('application/json')
    expect(req?.headers.has('authorization')).toBe(false)
    expect([...(req?.form.keys() ?? [])]).toEqual(['api_key', 'api_secret', 'from', 'to', 'text'])
    expect(Object.fromEntries(req?.form ?? [])).toStrictEqual({
      api_key: 'vk',
      api_secret: 'vs-secret',
      from: 'EdgeAuth',
      to: '21698765432',
      text: 'Your code is 123456.',
    })
    expectTimeoutSignal(fake)
  })

  it('sends a text outside GSM 03.38 (Arabic) with type=unicode, which Vonage does not detect', async () => {
    const fake = fakeFetch('https://vonage.test', answer('0'))
    const text = 'رمز التحقق في edge-auth: 123456، صالح لمدة 10 دقائق.'
    await vonageSmsSender(cfg, fake.fetch).send(TO, text)
    expect([...(fake.requests[0]?.form.keys() ?? [])]).toEqual(['api_key', 'api_secret', 'from', 'to', 'text', 'type'])
    expect(fake.requests[0]?.form.get('text')).toBe(text)
    expect(fake.requests[0]?.form.get('type')).toBe('unicode')
  })

  it('sends a French text in GSM 03.38 (é, è, à) without a type', async () => {
    const fake = fakeFetch('https://vonage.test', answer('0'))
    await vonageSmsSender(cfg, fake.fetch).send(TO, 'Votre code de vérification edge-auth est 123456. Valable 10 minutes.')
    expect(fake.requests[0]?.form.has('type')).toBe(false)
  })

  it("sends a numeric sender without its '+'", async () => {
    const fake = fakeFetch('https://vonage.test', answer('0'))
    await vonageSmsSender({ ...cfg, from: '+447700900001' }, fake.fetch).send(TO, 'hi')
    expect(fake.requests[0]?.form.get('from')).toBe('447700900001')
  })

  it('resolves when every message part has status "0"', async () => {
    const fake = fakeFetch('https://vonage.test', answer('0', '0'))
    await expect(vonageSmsSender(cfg, fake.fetch).send(TO, 'hi')).resolves.toBeUndefined()
  })

  it('throws on HTTP 200 with a non-"0" status, naming the status code only', async () => {
    const fake = fakeFetch('https://vonage.test', answer('4'))
    await expectDeliveryError(vonageSmsSender(cfg, fake.fetch).send(TO, 'hi'), 'vonage answered status 4')
  })

  it('throws when any part of a multi-part message failed', async () => {
    const fake = fakeFetch('https://vonage.test', answer('0', '9'))
    await expectDeliveryError(vonageSmsSender(cfg, fake.fetch).send(TO, 'hi'), 'vonage answered status 9')
  })

  it('throws on a 200 without a readable status, without echoing it', async () => {
    const replies = [
      () => new Response(SECRET_BODY, { status: 200 }),
      () => new Response('not json secret-token', { status: 200 }),
      () => Response.json({ messages: [] }),
      () => Response.json({ messages: [{ status: 'leaked-detail secret-token' }] }),
    ]
    for (const reply of replies) {
      const fake = fakeFetch('https://vonage.test', reply)
      await expectDeliveryError(vonageSmsSender(cfg, fake.fetch).send(TO, 'hi'), 'vonage answered status unknown')
    }
  })

  it('throws a DeliveryError naming only the status on a non-2xx answer', async () => {
    const fake = fakeFetch('https://vonage.test', secretReply(500))
    await expectDeliveryError(vonageSmsSender(cfg, fake.fetch).send(TO, 'hi'), 'vonage answered 500')
  })
})

describe('fast2smsSmsSender', () => {
  const cfg = { apiBase: 'https://fast2sms.test/', apiKey: 'f2s-key', route: 'q' as const }
  const INDIA = '+919812345678' as E164
  const sent = () => Response.json({ return: true, request_id: 'lwdtp7cjyqxvfe9', message: ['SMS sent successfully.'] })
  const refused = (status_code: unknown) => () =>
    Response.json({ return: false, status_code, message: 'Invalid Authentication, Check Authorization Key secret-token' })

  it('POSTs the Quick SMS JSON to /dev/bulkV2 with the key as `authorization` and a timeout', async () => {
    const fake = fakeFetch('https://fast2sms.test', sent)
    await fast2smsSmsSender(cfg, fake.fetch).send(INDIA, 'Your code is 123456.')
    expect(fake.requests).toHaveLength(1)
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://fast2sms.test/dev/bulkV2')
    expect(req?.headers.get('authorization')).toBe('f2s-key')
    expect(req?.headers.get('content-type')).toBe('application/json')
    expect(req?.headers.get('accept')).toBe('application/json')
    expect(req?.body).toBe('{"route":"q","message":"Your code is 123456.","language":"english","numbers":"9812345678"}')
    expectTimeoutSignal(fake)
  })

  it('sends a text beyond ASCII as `unicode`', async () => {
    const fake = fakeFetch('https://fast2sms.test', sent)
    await fast2smsSmsSender(cfg, fake.fetch).send(INDIA, 'आपका कोड 123456 है')
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toStrictEqual({
      route: 'q',
      message: 'आपका कोड 123456 है',
      language: 'unicode',
      numbers: '9812345678',
    })
  })

  it('sends the DLT route with its sender ID and the full text', async () => {
    const fake = fakeFetch('https://fast2sms.test', sent)
    await fast2smsSmsSender({ ...cfg, route: 'dlt_manual', senderId: 'EDGAUT' }, fake.fetch).send(INDIA, 'Your code is 123456.')
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toStrictEqual({
      route: 'dlt_manual',
      sender_id: 'EDGAUT',
      message: 'Your code is 123456.',
      numbers: '9812345678',
    })
  })

  it('refuses a number outside India before any request', async () => {
    for (const to of ['+21698765432', '+14155550100', '+9180123456', '+919812345678901']) {
      const fake = fakeFetch('https://fast2sms.test', sent)
      await expectDeliveryError(
        fast2smsSmsSender(cfg, fake.fetch).send(to as E164, 'hi'),
        'fast2sms sends to Indian (+91) mobile numbers only',
      )
      expect(fake.requests).toHaveLength(0)
    }
  })

  it('throws on HTTP 200 with `"return": false`, naming its status code only', async () => {
    const fake = fakeFetch('https://fast2sms.test', refused(412))
    await expectDeliveryError(fast2smsSmsSender(cfg, fake.fetch).send(INDIA, 'hi'), 'fast2sms answered status 412')
  })

  it('throws on a 200 without `"return": true`, without echoing it', async () => {
    const replies = [
      refused('leaked-detail secret-token'),
      () => new Response(SECRET_BODY, { status: 200 }),
      () => new Response('not json secret-token', { status: 200 }),
      () => Response.json({ return: 'true' }),
    ]
    for (const reply of replies) {
      const fake = fakeFetch('https://fast2sms.test', reply)
      await expectDeliveryError(fast2smsSmsSender(cfg, fake.fetch).send(INDIA, 'hi'), 'fast2sms answered status unknown')
    }
  })

  it('throws a DeliveryError naming only the status on a non-2xx answer', async () => {
    for (const status of [400, 401, 500]) {
      const fake = fakeFetch('https://fast2sms.test', secretReply(status))
      await expectDeliveryError(fast2smsSmsSender(cfg, fake.fetch).send(INDIA, 'hi'), `fast2sms answered ${status}`)
    }
  })
})

describe('SMS_PROVIDER=fast2sms configuration', () => {
  const F2S = { SMS_PROVIDER: 'fast2sms', FAST2SMS_API_KEY: 'k', ALLOWED_COUNTRIES: 'IN' }
  const problems = (vars: Record<string, string>) => {
    try {
      testConfig(vars)
      return ''
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      return (err as Error).message
    }
  }

  it('needs the API key, and a sender ID on the DLT route', () => {
    expect(problems({ ...F2S, FAST2SMS_API_KEY: '' })).toContain('FAST2SMS_API_KEY: required when SMS_PROVIDER=fast2sms')
    expect(problems({ ...F2S, FAST2SMS_ROUTE: 'dlt_manual' })).toContain(
      'FAST2SMS_SENDER_ID: required when FAST2SMS_ROUTE=dlt_manual',
    )
    expect(problems({ ...F2S, FAST2SMS_ROUTE: 'otp' })).toContain('FAST2SMS_ROUTE')
    expect(problems({ ...F2S, FAST2SMS_ROUTE: 'dlt_manual', FAST2SMS_SENDER_ID: 'EDGAUT' })).toBe('')
  })

  it('refuses a deployment that accepts numbers Fast2SMS cannot reach, unless another provider takes them', () => {
    const message = 'ALLOWED_COUNTRIES: SMS_PROVIDER=fast2sms sends to Indian numbers only'
    expect(problems({ ...F2S, ALLOWED_COUNTRIES: '' })).toContain(message)
    expect(problems({ ...F2S, ALLOWED_COUNTRIES: 'IN,TN' })).toContain(message)
    expect(problems(F2S)).toBe('')
    const vonage = { VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', VONAGE_FROM: 'S' }
    expect(problems({ ...F2S, ALLOWED_COUNTRIES: '', SMS_FALLBACK_PROVIDER: 'vonage', ...vonage })).toBe('')
  })

  it('uses the public base https://www.fast2sms.com by default', async () => {
    const real = fakeFetch('https://', () => Response.json({ return: true })).install()
    try {
      await smsSenderFor(testConfig(F2S)).send('+919812345678' as E164, 'hi')
      expect(real.requests.map((r) => r.url)).toEqual(['https://www.fast2sms.com/dev/bulkV2'])
    } finally {
      real.restore()
    }
  })
})

describe('resendEmailSender', () => {
  const cfg = { apiBase: 'https://resend.test/', apiKey: 're_key', from: 'edge-auth <no-reply@auth.example.tn>' }

  it('POSTs the JSON of SPEC §8 to /emails with Bearer auth and a timeout', async () => {
    const fake = fakeFetch('https://resend.test', () => Response.json({ id: '49a3999c-0ce1-4ea6-ab68-afcd6dc2e794' }))
    await resendEmailSender(cfg, fake.fetch).send(MAIL)
    expect(fake.requests).toHaveLength(1)
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://resend.test/emails')
    expect(req?.headers.get('authorization')).toBe('Bearer re_key')
    expect(req?.headers.get('content-type')).toBe('application/json')
    expect(req?.headers.get('accept')).toBe('application/json')
    expect(JSON.parse(req?.body ?? '')).toStrictEqual({
      from: 'edge-auth <no-reply@auth.example.tn>',
      to: ['amira@example.tn'],
      subject: MAIL.subject,
      html: MAIL.html,
      text: MAIL.text,
    })
    expectTimeoutSignal(fake)
  })

  it('throws a DeliveryError naming only the status on a non-2xx answer', async () => {
    for (const status of [401, 422, 429, 500]) {
      const fake = fakeFetch('https://resend.test', secretReply(status))
      await expectDeliveryError(resendEmailSender(cfg, fake.fetch).send(MAIL), `resend answered ${status}`)
    }
  })
})

describe('sendgridEmailSender', () => {
  const cfg = { apiBase: 'https://sendgrid.test/', apiKey: 'SG.key', from: 'edge-auth <no-reply@auth.example.tn>' }

  it("POSTs SendGrid's v3 JSON to /v3/mail/send with Bearer auth and a timeout", async () => {
    const fake = fakeFetch('https://sendgrid.test', () => new Response(null, { status: 202 }))
    await sendgridEmailSender(cfg, fake.fetch).send(MAIL)
    expect(fake.requests).toHaveLength(1)
    const [req] = fake.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('https://sendgrid.test/v3/mail/send')
    expect(req?.headers.get('authorization')).toBe('Bearer SG.key')
    expect(req?.headers.get('content-type')).toBe('application/json')
    expect(JSON.parse(req?.body ?? '')).toStrictEqual({
      personalizations: [{ to: [{ email: 'amira@example.tn' }] }],
      from: { email: 'no-reply@auth.example.tn', name: 'edge-auth' },
      subject: MAIL.subject,
      content: [
        { type: 'text/plain', value: MAIL.text },
        { type: 'text/html', value: MAIL.html },
      ],
    })
    expectTimeoutSignal(fake)
  })

  it('sends a bare EMAIL_FROM address without a name', async () => {
    const fake = fakeFetch('https://sendgrid.test', 202)
    await sendgridEmailSender({ ...cfg, from: 'no-reply@auth.example.tn' }, fake.fetch).send(MAIL)
    expect(JSON.parse(fake.requests[0]?.body ?? '').from).toStrictEqual({ email: 'no-reply@auth.example.tn' })
  })

  it('throws a DeliveryError naming only the status on a non-2xx answer', async () => {
    for (const status of [400, 401, 403, 500]) {
      const fake = fakeFetch('https://sendgrid.test', secretReply(status))
      await expectDeliveryError(sendgridEmailSender(cfg, fake.fetch).send(MAIL), `sendgrid answered ${status}`)
    }
  })
})

describe('EMAIL_PROVIDER=smtp configuration', () => {
  const SMTP = { EMAIL_PROVIDER: 'smtp', SMTP_HOST: 'smtp.gmail.com', SMTP_USERNAME: 'me@gmail.com', SMTP_PASSWORD: 'app-pass' }
  const problems = (vars: Record<string, string>) => {
    try {
      testConfig(vars)
      return ''
    } catch (err) {
      return (err as Error).message
    }
  }

  it('defaults to port 587 with STARTTLS, and to implicit TLS on port 465', () => {
    expect(testConfig(SMTP)).toMatchObject({ SMTP_PORT: 587, SMTP_SECURE: 'starttls', SMTP_AUTH: 'plain' })
    expect(testConfig({ ...SMTP, SMTP_PORT: '465' })).toMatchObject({ SMTP_PORT: 465, SMTP_SECURE: 'tls' })
    expect(testConfig({ ...SMTP, SMTP_PORT: '2465', SMTP_SECURE: 'tls', SMTP_AUTH: 'login' })).toMatchObject({
      SMTP_PORT: 2465,
      SMTP_SECURE: 'tls',
      SMTP_AUTH: 'login',
    })
    expect(emailSenderFor(testConfig(SMTP)).name).toBe('smtp')
  })

  it('needs a host, both credentials or none, and a port Workers may use', () => {
    expect(problems({ ...SMTP, SMTP_HOST: '' })).toContain('SMTP_HOST: required when EMAIL_PROVIDER=smtp')
    expect(problems({ ...SMTP, SMTP_HOST: 'smtp.gmail.com\r\nX' })).toContain('SMTP_HOST')
    expect(problems({ ...SMTP, SMTP_PASSWORD: '' })).toContain('SMTP_PASSWORD: set SMTP_USERNAME and SMTP_PASSWORD together')
    expect(problems({ ...SMTP, SMTP_PORT: '25' })).toContain('SMTP_PORT: port 25 is blocked for Workers')
    expect(problems({ ...SMTP, SMTP_SECURE: 'ssl' })).toContain('SMTP_SECURE')
    expect(problems({ ...SMTP, SMTP_AUTH: 'cram-md5' })).toContain('SMTP_AUTH')
    expect(problems({ EMAIL_PROVIDER: 'smtp', SMTP_HOST: 'relay.internal' })).toBe('')
  })

  it('allows SMTP_SECURE=none only in development and never with credentials', () => {
    const local = { EMAIL_PROVIDER: 'smtp', SMTP_HOST: 'localhost', SMTP_PORT: '1025', SMTP_SECURE: 'none' }
    expect(problems(local)).toBe('')
    expect(problems({ ...local, SMTP_USERNAME: 'u', SMTP_PASSWORD: 'p' })).toContain(
      'SMTP_SECURE: credentials are never sent without TLS',
    )
    const production = { ...local, ENVIRONMENT: 'production', SMS_PROVIDER: 'console' }
    expect(problems(production)).toContain('SMTP_SECURE: none is for a local mail catcher in development')
  })
})

describe('parseMailbox', () => {
  it('splits "Name <address>" and accepts a bare address', () => {
    expect(parseMailbox('edge-auth <no-reply@localhost>')).toStrictEqual({ email: 'no-reply@localhost', name: 'edge-auth' })
    expect(parseMailbox('"Acme, Inc." <a@acme.tn>')).toStrictEqual({ email: 'a@acme.tn', name: 'Acme, Inc.' })
    expect(parseMailbox('<a@acme.tn>')).toStrictEqual({ email: 'a@acme.tn' })
    expect(parseMailbox(' a@acme.tn ')).toStrictEqual({ email: 'a@acme.tn' })
  })
})

describe('smsSenderFor / emailSenderFor', () => {
  const global = useFakeFetch('https://provider.test', () => Response.json({ messages: [{ status: '0' }] }))

  it('picks the configured provider and calls the global fetch at send time', async () => {
    const infobip = smsSenderFor(
      testConfig({
        SMS_PROVIDER: 'infobip',
        INFOBIP_BASE_URL: 'https://provider.test',
        INFOBIP_API_KEY: 'k',
        INFOBIP_SENDER: 'S',
      }),
    )
    const vonage = smsSenderFor(
      testConfig({
        SMS_PROVIDER: 'vonage',
        VONAGE_API_BASE: 'https://provider.test',
        VONAGE_API_KEY: 'k',
        VONAGE_API_SECRET: 's',
        VONAGE_FROM: 'S',
      }),
    )
    const resend = emailSenderFor(
      testConfig({ EMAIL_PROVIDER: 'resend', RESEND_API_BASE: 'https://provider.test', RESEND_API_KEY: 'k' }),
    )
    const sendgrid = emailSenderFor(
      testConfig({ EMAIL_PROVIDER: 'sendgrid', SENDGRID_API_BASE: 'https://provider.test', SENDGRID_API_KEY: 'k' }),
    )
    expect([infobip.name, vonage.name, resend.name, sendgrid.name]).toEqual(['infobip', 'vonage', 'resend', 'sendgrid'])
    await infobip.send(TO, 'hi')
    await vonage.send(TO, 'hi')
    await resend.send(MAIL)
    await sendgrid.send(MAIL)
    expect(global.requests.map((r) => r.url)).toEqual([
      'https://provider.test/sms/2/text/advanced',
      'https://provider.test/sms/json',
      'https://provider.test/emails',
      'https://provider.test/v3/mail/send',
    ])
  })

  it('uses the public default bases of Vonage, Resend and SendGrid', async () => {
    const real = fakeFetch('https://', () => Response.json({ messages: [{ status: '0' }] })).install()
    try {
      await smsSenderFor(
        testConfig({ SMS_PROVIDER: 'vonage', VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', VONAGE_FROM: 'S' }),
      ).send(TO, 'hi')
      await emailSenderFor(testConfig({ EMAIL_PROVIDER: 'resend', RESEND_API_KEY: 'k' })).send(MAIL)
      await emailSenderFor(testConfig({ EMAIL_PROVIDER: 'sendgrid', SENDGRID_API_KEY: 'k' })).send(MAIL)
      expect(real.requests.map((r) => r.url)).toEqual([
        'https://rest.nexmo.com/sms/json',
        'https://api.resend.com/emails',
        'https://api.sendgrid.com/v3/mail/send',
      ])
    } finally {
      real.restore()
    }
  })
})
