import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { confirmPhone, patchMe } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { newPhone, PASSWORD, register } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { newIp } from '../helpers/otp'
import { TWILIO } from '../helpers/sms'
import { createSuperAdmin } from '../helpers/staff'

// SPEC §15 (issue 20): the account's `locale`, set at sign-up from the body or Accept-Language,
// and the language of every text message it gets, asserted on the form Twilio receives.

const twilio = useFakeFetch('https://twilio.test')
type Vars = Record<string, string>
const VARS: Vars = { ...TWILIO, OTP_RESEND_COOLDOWN_SECONDS: '0' }

/** The `Body` of each text Twilio was asked to send to `phone`, in order. */
const textsTo = (phone: string) => twilio.requests.filter((r) => r.form.get('To') === phone).map((r) => r.form.get('Body') ?? '')
const lastTextTo = (phone: string) => textsTo(phone).at(-1) ?? ''
const codeOf = (text: string) => /\d{6}/.exec(text)?.[0] ?? ''

/** The exact texts of SPEC §5 per locale, for a code (OTP_LENGTH 6, OTP_EXPIRE_MINUTES 10, APP_NAME edge-auth). */
const TEXT = {
  register: {
    en: (c: string) => `Your edge-auth verification code is ${c}. Valid for 10 minutes.`,
    fr: (c: string) => `Votre code de vérification edge-auth est ${c}. Valable 10 minutes.`,
    ar: (c: string) => `رمز التحقق في edge-auth: ${c}، صالح لمدة 10 دقائق.`,
  },
  login: {
    en: (c: string) => `Your edge-auth login code is ${c}. Valid for 10 minutes.`,
    fr: (c: string) => `Votre code de connexion edge-auth est ${c}. Valable 10 minutes.`,
    ar: (c: string) => `رمز الدخول إلى edge-auth: ${c}، صالح لمدة 10 دقائق.`,
  },
}

/** Registers `phone` (body extras, request headers) and returns the text it was sent. */
async function registered(body: Record<string, unknown>, opts: { vars?: Vars; headers?: Record<string, string> } = {}) {
  const phone = (body.phone as string | undefined) ?? newPhone()
  const res = await register({ phone, ...body }, { env: opts.vars ?? VARS, headers: opts.headers })
  expect(res.status, await res.clone().text()).toBe(201)
  return { phone, text: lastTextTo(phone) }
}

/** Completes a registration with the texted code; the token response. */
async function verified(phone: string, vars: Vars = VARS, headers: Record<string, string> = {}) {
  const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: codeOf(lastTextTo(phone)) }, env: vars, headers })
  expect(res.status).toBe(200)
  return json(res)
}

const otpLogin = (body: Record<string, unknown>, vars: Vars = VARS, headers: Record<string, string> = {}) =>
  call('POST', '/api/v1/auth/login', { json: { use_otp: true, ...body }, env: vars, headers, ip: newIp() })

const storedLocale = async (id: string) =>
  (await env.DB.prepare('SELECT locale FROM users WHERE id = ?').bind(id).first<{ locale: string | null }>())?.locale

describe("the account's language at sign-up", () => {
  it('texts the registration code in French when the body says locale fr, and the account keeps fr', async () => {
    const { phone, text } = await registered({ locale: 'fr' })
    expect(text).toBe(TEXT.register.fr(codeOf(text)))
    const { user } = await verified(phone)
    expect(user.locale).toBe('fr')
    expect(await storedLocale(user.id)).toBe('fr')
  })

  it('texts an Arabic code as one UCS-2 segment: at most 70 characters', async () => {
    const { phone, text } = await registered({ locale: 'ar' })
    expect(text).toBe(TEXT.register.ar(codeOf(text)))
    expect(text.length).toBeLessThanOrEqual(70)
    expect((await verified(phone)).user.locale).toBe('ar')
  })

  it('without a locale, takes the best of Accept-Language that LOCALES has', async () => {
    const headers = { 'accept-language': 'de-DE, ar-TN;q=0.9, fr;q=0.8' }
    const { phone, text } = await registered({}, { headers })
    expect(text).toBe(TEXT.register.ar(codeOf(text)))
    expect((await verified(phone)).user.locale).toBe('ar')
  })

  it('skips an Accept-Language language LOCALES leaves out', async () => {
    const vars = { ...VARS, LOCALES: 'en,fr' }
    const { phone, text } = await registered({}, { vars, headers: { 'accept-language': 'ar-TN, fr;q=0.8' } })
    expect(text).toBe(TEXT.register.fr(codeOf(text)))
    expect((await verified(phone, vars)).user.locale).toBe('fr')
  })

  it('without either, uses DEFAULT_LOCALE', async () => {
    const vars = { ...VARS, DEFAULT_LOCALE: 'fr' }
    const { phone, text } = await registered({}, { vars, headers: { 'accept-language': 'de, it;q=0.5' } })
    expect(text).toBe(TEXT.register.fr(codeOf(text)))
    expect((await verified(phone, vars)).user.locale).toBe('fr')
  })

  it('stores English when nothing asks for another language', async () => {
    const { phone, text } = await registered({})
    expect(text).toBe(TEXT.register.en(codeOf(text)))
    expect((await verified(phone)).user.locale).toBe('en')
  })

  it("prefers the body's locale to Accept-Language", async () => {
    const { text } = await registered({ locale: 'fr' }, { headers: { 'accept-language': 'ar' } })
    expect(text).toBe(TEXT.register.fr(codeOf(text)))
  })

  it('refuses a locale LOCALES leaves out: 400 on locale, nothing sent, no account', async () => {
    const phone = newPhone()
    const res = await register({ phone, locale: 'ar' }, { env: { ...VARS, LOCALES: 'en,fr' } })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields).toEqual({ locale: 'Must be one of: en, fr' })
    expect(twilio.requests).toHaveLength(0)
    expect(await env.DB.prepare('SELECT id FROM users WHERE phone = ?').bind(phone).first()).toBeNull()
  })

  it('refuses a language edge-auth has no texts for, and a tag that is not a bare language', async () => {
    for (const locale of ['de', 'fr-FR', '', 7]) {
      const body = await expectError(await register({ phone: newPhone(), locale }, { env: VARS }), 400, 'validation_error')
      expect(body.fields.locale).toBe('Must be one of: en, fr, ar')
    }
    expect(twilio.requests).toHaveLength(0)
  })

  it('refuses locale on a password login (it only names the language of a code)', async () => {
    const res = await call('POST', '/api/v1/auth/login', { json: { phone: newPhone(), password: PASSWORD, locale: 'fr' } })
    expect((await expectError(res, 400, 'validation_error')).fields.locale).toBe('Only with use_otp')
  })
})

describe("texts in the account's language", () => {
  it("sends an OTP login code in the account's language, whatever the request's Accept-Language", async () => {
    const { phone } = await registered({ locale: 'fr' })
    await verified(phone)
    expect((await otpLogin({ phone }, VARS, { 'accept-language': 'ar' })).status).toBe(202)
    const text = lastTextTo(phone)
    expect(text).toBe(TEXT.login.fr(codeOf(text)))
  })

  it('falls back to DEFAULT_LOCALE for a stored locale LOCALES no longer has (the user object still shows it)', async () => {
    const { phone } = await registered({ locale: 'ar' })
    const { access_token } = await verified(phone)
    const later = { ...VARS, LOCALES: 'en,fr', DEFAULT_LOCALE: 'fr' }
    expect((await otpLogin({ phone }, later)).status).toBe(202)
    const text = lastTextTo(phone)
    expect(text).toBe(TEXT.login.fr(codeOf(text)))
    const me = await call('GET', '/api/v1/me', { token: access_token, env: later })
    expect((await json(me)).locale).toBe('ar')
  })

  it('texts a password reset code in Arabic to an Arabic account', async () => {
    const { phone } = await registered({ locale: 'ar' })
    await verified(phone)
    const res = await call('POST', '/api/v1/auth/reset-password', { json: { phone }, env: VARS, ip: newIp() })
    expect(res.status).toBe(202)
    const text = lastTextTo(phone)
    expect(text).toBe(`رمز استعادة كلمة مرور edge-auth: ${codeOf(text)}، صالح لمدة 10 دقائق.`)
  })

  it("texts a new phone's code, and the old phone's notice, in the account's language", async () => {
    const { phone: old } = await registered({ locale: 'fr' })
    const { access_token } = await verified(old)
    const phone = newPhone()
    expect((await patchMe(access_token, { phone, current_password: PASSWORD }, VARS)).status).toBe(200)
    const code = lastTextTo(phone)
    expect(code).toBe(`Votre code de confirmation de numéro edge-auth est ${codeOf(code)}. Valable 10 minutes.`)
    expect((await confirmPhone(access_token, codeOf(code), VARS)).status).toBe(200)
    expect(lastTextTo(old)).toBe(
      "Le numéro de votre compte edge-auth a été modifié : ce numéro ne permet plus de se connecter. Ce n'est pas vous ? Contactez le support.",
    )
  })
})

describe('an OTP sign-up (OTP_SIGNUP=true) by a phone no account holds', () => {
  const SIGNUP = { ...VARS, OTP_SIGNUP: 'true' }

  it("texts the code in the request's language (the body's locale)", async () => {
    const phone = newPhone()
    expect((await otpLogin({ phone, locale: 'ar' }, SIGNUP, { 'accept-language': 'fr' })).status).toBe(202)
    const text = lastTextTo(phone)
    expect(text).toBe(TEXT.login.ar(codeOf(text)))
  })

  it("texts it per Accept-Language without one, and the account /verify creates gets the verify request's locale", async () => {
    const phone = newPhone()
    expect((await otpLogin({ phone }, SIGNUP, { 'accept-language': 'fr-TN,fr;q=0.9' })).status).toBe(202)
    const text = lastTextTo(phone)
    expect(text).toBe(TEXT.login.fr(codeOf(text)))
    const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: codeOf(text), locale: 'ar' }, env: SIGNUP })
    expect(res.status).toBe(200)
    const { user } = await json(res)
    expect(user.locale).toBe('ar')
    expect(await storedLocale(user.id)).toBe('ar')
  })

  it('gives the new account the language of Accept-Language when /verify names none', async () => {
    const phone = newPhone()
    expect((await otpLogin({ phone }, SIGNUP)).status).toBe(202)
    const { user } = await verified(phone, SIGNUP, { 'accept-language': 'fr' })
    expect(user.locale).toBe('fr')
  })

  it('refuses a locale LOCALES leaves out, before sending anything', async () => {
    const phone = newPhone()
    await expectError(await otpLogin({ phone, locale: 'ar' }, { ...SIGNUP, LOCALES: 'en,fr' }), 400, 'validation_error')
    expect(textsTo(phone)).toEqual([])
  })
})

describe('changing the language', () => {
  it('PATCH /me sets locale; GET /me shows it; the next code comes in it', async () => {
    const { phone } = await registered({})
    const { access_token } = await verified(phone)
    const res = await patchMe(access_token, { locale: 'ar' }, VARS)
    expect(res.status).toBe(200)
    expect((await json(res)).locale).toBe('ar')
    expect((await json(await call('GET', '/api/v1/me', { token: access_token }))).locale).toBe('ar')
    expect((await otpLogin({ phone })).status).toBe(202)
    const text = lastTextTo(phone)
    expect(text).toBe(TEXT.login.ar(codeOf(text)))
  })

  it('PATCH /me locale null clears the choice: DEFAULT_LOCALE applies', async () => {
    const { phone } = await registered({ locale: 'fr' })
    const { access_token } = await verified(phone)
    expect((await json(await patchMe(access_token, { locale: null }, VARS))).locale).toBeNull()
    expect((await otpLogin({ phone })).status).toBe(202)
    const text = lastTextTo(phone)
    expect(text).toBe(TEXT.login.en(codeOf(text)))
  })

  it('PATCH /me refuses a locale LOCALES leaves out, and changes nothing', async () => {
    const { phone } = await registered({ locale: 'fr' })
    const { access_token, user } = await verified(phone)
    const res = await patchMe(access_token, { locale: 'ar', name: 'Leila' }, { ...VARS, LOCALES: 'en,fr' })
    expect((await expectError(res, 400, 'validation_error')).fields).toEqual({ locale: 'Must be one of: en, fr' })
    expect(await storedLocale(user.id)).toBe('fr')
  })

  it('PATCH /me with a new phone and a new locale texts the code in the new locale', async () => {
    const { phone: old } = await registered({ locale: 'fr' })
    const { access_token } = await verified(old)
    const phone = newPhone()
    const res = await patchMe(access_token, { phone, current_password: PASSWORD, locale: 'ar' }, VARS)
    expect((await json(res)).locale).toBe('ar')
    const text = lastTextTo(phone)
    expect(text).toBe(`رمز تأكيد هاتفك في edge-auth: ${codeOf(text)}، صالح لمدة 10 دقائق.`)
  })

  it("lets an admin set a user's locale with PATCH /users/{id}, and refuses one LOCALES leaves out", async () => {
    const { phone } = await registered({})
    const { user } = await verified(phone)
    const root = await createSuperAdmin()
    const patch = (locale: unknown, vars?: Vars) =>
      call('PATCH', `/api/v1/users/${user.id}`, { token: root.access_token, json: { locale }, env: vars })
    const res = await patch('fr')
    expect(res.status).toBe(200)
    expect((await json(res)).locale).toBe('fr')
    expect(await storedLocale(user.id)).toBe('fr')
    const refused = await expectError(await patch('ar', { LOCALES: 'en,fr' }), 400, 'validation_error')
    expect(refused.fields).toEqual({ locale: 'Must be one of: en, fr' })
    await expectError(await patch('xx'), 400, 'validation_error')
    expect(await storedLocale(user.id)).toBe('fr')
    expect((await json(await patch(null))).locale).toBeNull()
  })
})

describe('the OpenAPI document', () => {
  it('describes locale in the user object and in the bodies that set it', async () => {
    const doc = await json(await call('GET', '/api/v1/openapi.json'))
    const schemas = doc.components.schemas
    expect(schemas.User.properties.locale).toMatchObject({ type: ['string', 'null'] })
    expect(schemas.User.required).toContain('locale')
    for (const body of ['RegisterBody', 'VerifyBody', 'LoginBody', 'PatchMeBody', 'AdminPatchBody']) {
      expect(schemas[body].properties.locale.enum, body).toEqual(expect.arrayContaining(['en', 'fr', 'ar']))
    }
  })
})
