import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { patchMe } from '../helpers/account'
import { call, json } from '../helpers/app'
import { newEmail, PASSWORD, register } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { newIp } from '../helpers/otp'
import { createStaff, createSuperAdmin } from '../helpers/staff'

// SPEC §15 (issue 20): every email in the account's language (the request's for an address no
// account holds yet), asserted on the JSON Resend receives: subject, text and HTML.

const resend = useFakeFetch('https://resend.test', () => Response.json({ id: 'e-1' }))
type Vars = Record<string, string>
const VARS: Vars = {
  EMAIL_PROVIDER: 'resend',
  RESEND_API_BASE: 'https://resend.test',
  RESEND_API_KEY: 're_secret',
  EMAIL_FROM: 'edge-auth <no-reply@auth.example.tn>',
  OTP_RESEND_COOLDOWN_SECONDS: '0',
}

interface Mail {
  to: string[]
  subject: string
  text: string
  html: string
}

/** The emails Resend was asked to send to `address`, in order. */
const mailsTo = (address: string): Mail[] =>
  resend.requests.map((r) => JSON.parse(r.body) as Mail).filter((m) => m.to.includes(address))
const lastMailTo = (address: string): Mail => {
  const mail = mailsTo(address).at(-1)
  if (!mail) throw new Error(`no email to ${address}`)
  return mail
}
const codeOf = (mail: Mail) => /\b\d{6}\b/.exec(mail.text)?.[0] ?? ''

/** Registers `email` in `locale` and verifies its code: the token response. */
async function emailAccount(locale: string, vars: Vars = VARS) {
  const email = newEmail()
  expect((await register({ email, locale, name: 'Leila' }, { env: vars })).status).toBe(201)
  const res = await call('POST', '/api/v1/auth/verify', { json: { email, code: codeOf(lastMailTo(email)) }, env: vars })
  expect(res.status).toBe(200)
  return { email, ...(await json(res)) }
}

describe('the registration code email', () => {
  it('is in French for locale fr: subject, text and an HTML page in French', async () => {
    const email = newEmail()
    expect((await register({ email, locale: 'fr' }, { env: VARS })).status).toBe(201)
    const mail = lastMailTo(email)
    const code = codeOf(mail)
    expect(mail.subject).toBe('Votre code de vérification edge-auth')
    expect(mail.text).toBe(
      [
        'Bonjour,',
        '',
        'Bienvenue ! Saisissez ce code pour terminer la création de votre compte.',
        `Votre code edge-auth est ${code}. Valable 10 minutes.`,
      ].join('\n'),
    )
    expect(mail.html).toContain('<html lang="fr" dir="ltr">')
    expect(mail.html).toContain(`Votre code edge-auth est <strong style="font-size:1.4rem;letter-spacing:.2rem">${code}</strong>`)
    expect(mail.html).toContain('vous pouvez ignorer cet e-mail')
  })

  it('is in Arabic, right to left, for locale ar', async () => {
    const email = newEmail()
    expect((await register({ email, locale: 'ar' }, { env: VARS })).status).toBe(201)
    const mail = lastMailTo(email)
    const code = codeOf(mail)
    expect(mail.subject).toBe('رمز التحقق الخاص بك في edge-auth')
    expect(mail.text).toBe(
      ['مرحبًا،', '', 'أهلًا بك! أدخل هذا الرمز لإتمام إنشاء حسابك.', `رمزك في edge-auth هو ${code}، صالح لمدة 10 دقائق.`].join(
        '\n',
      ),
    )
    expect(mail.html).toContain('<html lang="ar" dir="rtl">')
    expect(mail.html).toContain('يمكنك تجاهل هذه الرسالة')
  })

  it('follows Accept-Language without a locale, and stays English by default', async () => {
    const fr = newEmail()
    expect((await register({ email: fr }, { env: VARS, headers: { 'accept-language': 'fr-CH' } })).status).toBe(201)
    expect(lastMailTo(fr).subject).toBe('Votre code de vérification edge-auth')
    const en = newEmail()
    expect((await register({ email: en }, { env: VARS })).status).toBe(201)
    expect(lastMailTo(en).subject).toBe('Your edge-auth verification code')
  })
})

describe("emails in the account's language", () => {
  it('welcomes an Arabic account in Arabic (WELCOME_EMAIL=true)', async () => {
    const vars = { ...VARS, WELCOME_EMAIL: 'true' }
    const { email } = await emailAccount('ar', vars)
    const mail = lastMailTo(email)
    expect(mail.subject).toBe('أهلًا بك في edge-auth')
    expect(mail.text.split('\n')[0]).toBe('مرحبًا Leila،')
    expect(mail.text).toContain('حسابك جاهز')
    expect(mail.html).toContain('<html lang="ar" dir="rtl">')
  })

  it('sends a French account its reset code and link in French, then the notice in French', async () => {
    const { email } = await emailAccount('fr')
    const asked = await call('POST', '/api/v1/auth/reset-password', {
      json: { email },
      env: VARS,
      ip: newIp(),
      headers: { 'accept-language': 'ar' },
    })
    expect(asked.status).toBe(202)
    const mail = lastMailTo(email)
    expect(mail.subject).toBe('Réinitialisez votre mot de passe edge-auth')
    expect(mail.text).toContain('Bonjour Leila,')
    expect(mail.text).toMatch(/\nChoisir un nouveau mot de passe : http:\/\/localhost:8787\/api\/v1\/auth\/email\/reset\?token=/)
    expect(mail.text).toContain('(valable 60 minutes, une seule fois)')
    expect(mail.html).toContain('>Choisir un nouveau mot de passe</a>')
    const done = await call('POST', '/api/v1/auth/confirm-reset', {
      json: { email, code: codeOf(mail), new_password: 'Sfax-Sol4r-2027' },
      env: VARS,
    })
    expect(done.status).toBe(200)
    const notice = lastMailTo(email)
    expect(notice.subject).toBe('Le mot de passe de votre compte edge-auth a été modifié')
    expect(notice.text).toBe(
      [
        'Bonjour Leila,',
        '',
        'Le mot de passe de votre compte edge-auth a été réinitialisé. Toutes vos sessions ont été déconnectées.',
        "Si ce n'était pas vous, réinitialisez votre mot de passe dès maintenant et contactez le support.",
      ].join('\n'),
    )
  })

  it("opens the reset link's page in the account's language (ui_locales in the link), right to left in Arabic", async () => {
    const { email } = await emailAccount('ar')
    const asked = await call('POST', '/api/v1/auth/reset-password', { json: { email }, env: VARS, ip: newIp() })
    expect(asked.status).toBe(202)
    const link = /(http:\/\/localhost:8787\/api\/v1\/auth\/email\/reset\?token=[A-Za-z0-9_-]+&ui_locales=ar)\b/.exec(
      lastMailTo(email).text,
    )?.[1]
    expect(link).toBeDefined()
    // The browser says French; the link's language (the account's) wins.
    const page = await call('GET', new URL(link as string).pathname + new URL(link as string).search, {
      env: VARS,
      headers: { 'accept-language': 'fr' },
    })
    const html = await page.text()
    expect(html).toContain('<html lang="ar" dir="rtl">')
    expect(html).toContain('اختر كلمة مرور جديدة')
    expect(html).toContain('action="/api/v1/auth/email/reset?ui_locales=ar"')
    // Without the parameter, Accept-Language chooses.
    const plain = await call('GET', '/api/v1/auth/email/reset?token=unknown-token-123456789012', {
      env: VARS,
      headers: { 'accept-language': 'fr-FR,fr;q=0.9' },
    })
    expect(plain.status).toBe(400)
    expect(await plain.text()).toContain('Lien de réinitialisation non valide')
  })

  it("sends a new email's verification code and link in the account's language", async () => {
    const { access_token } = await emailAccount('ar')
    const next = newEmail()
    expect((await patchMe(access_token, { email: next, current_password: PASSWORD }, VARS)).status).toBe(200)
    const mail = lastMailTo(next)
    expect(mail.subject).toBe('تأكيد بريدك الإلكتروني في edge-auth')
    expect(mail.text).toContain('تأكيد بريدي الإلكتروني: http://localhost:8787/api/v1/auth/email/verify?token=')
    expect(mail.text).toContain('(صالح لمدة 1440 دقيقة، ولمرة واحدة)')
  })

  it('tells a staff account in its language that an administrator set its password', async () => {
    const root = await createSuperAdmin()
    const email = newEmail()
    const admin = await createStaff(root, 'admin', { email })
    await env.DB.prepare('UPDATE users SET email_verified = 1 WHERE id = ?').bind(admin.id).run()
    const patched = await call('PATCH', `/api/v1/users/${admin.id}`, { token: root.access_token, json: { locale: 'fr' } })
    expect(patched.status).toBe(200)
    const set = await call('POST', `/api/v1/users/${admin.id}/password`, {
      token: root.access_token,
      json: { new_password: 'Bizerte-Sol4r-2029' },
      env: VARS,
    })
    expect(set.status).toBe(200)
    const mail = lastMailTo(email)
    expect(mail.subject).toBe('Le mot de passe de votre compte edge-auth a été modifié')
    expect(mail.text).toContain('Un administrateur a défini un nouveau mot de passe pour votre compte edge-auth.')
  })
})
