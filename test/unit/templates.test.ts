import { describe, expect, it } from 'vitest'
import type { Locale } from '../../src/config'
import { translator } from '../../src/i18n/pages'
import { linkFailedPage, resetDonePage, resetFormPage, verifiedPage } from '../../src/pages/email-pages'
import { layout, PAGE_CSP, PAGE_STYLE, PAGE_STYLE_HASH } from '../../src/pages/layout'
import { type CodePurpose, codeEmail, noticeEmail, welcomeEmail } from '../../src/templates/email'
import { escapeHtml } from '../../src/templates/escape'
import { parsePage } from '../helpers/html'

const APP = 'Solar Tunis'
const EVIL = '<img src=x onerror=alert(1)>'
/** What an email link page is rendered with: the app's name and a language. */
const view = (app: string, locale: Locale = 'en') => ({ app, locale, t: translator(locale) })
const LINK = 'https://auth.example.tn/api/v1/auth/email/reset?token=abc_DEF-123&x=1'
const PURPOSES: CodePurpose[] = ['register', 'login', 'reset', 'email_change', 'phone_change']

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  })

  it('leaves other text alone, Unicode included', () => {
    expect(escapeHtml('Ahmed Ben Salem — أحمد 🌞')).toBe('Ahmed Ben Salem — أحمد 🌞')
    expect(escapeHtml('')).toBe('')
  })

  it('escapes an ampersand first, so entities are not double-decoded', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;')
  })
})

describe('codeEmail', () => {
  it.each(PURPOSES)('%s: names the app and carries the code in the subject, text and HTML', (purpose) => {
    const mail = codeEmail({ app: APP, to: 'a@example.tn', locale: 'en', purpose, code: '482913', minutes: 10 })
    expect(mail.to).toBe('a@example.tn')
    expect(mail.subject).toContain(APP)
    expect(mail.text).toContain(APP)
    expect(mail.text).toContain('482913')
    expect(mail.text).toContain('10 minutes')
    expect(mail.html).toContain(APP)
    expect(mail.html).toContain('482913')
    expect(mail.html).not.toMatch(/<script/i)
  })

  it('puts the link in the text as is and in the HTML escaped, with its lifetime', () => {
    const mail = codeEmail({
      app: APP,
      to: 'a@example.tn',
      locale: 'en',
      purpose: 'reset',
      code: '482913',
      minutes: 10,
      link: LINK,
      linkMinutes: 60,
    })
    expect(mail.text).toContain(LINK)
    expect(mail.text).toContain('60 minutes')
    expect(mail.html).toContain(`href="${LINK.replace('&', '&amp;')}"`)
    expect(mail.html).not.toContain(LINK)
    expect(mail.html).toContain('Choose a new password')
  })

  it('has no link when none is given', () => {
    const mail = codeEmail({ app: APP, to: 'a@example.tn', locale: 'en', purpose: 'register', code: '482913', minutes: 10 })
    expect(mail.html).not.toContain('<a ')
    expect(mail.text).not.toMatch(/https?:\/\//)
  })

  it('escapes the name (and the app name) in the HTML part; the text part is plain text', async () => {
    const mail = codeEmail({
      app: `${APP} <b>`,
      to: 'a@example.tn',
      locale: 'en',
      // SPEC §6.6: only mail to a verified address (a reset's) carries the name.
      purpose: 'reset',
      code: '482913',
      minutes: 10,
      name: EVIL,
    })
    expect(mail.html).toContain('Hello &lt;img src=x onerror=alert(1)&gt;,')
    expect(mail.html).not.toContain('<img')
    expect(mail.html).not.toContain('<b>')
    expect((await parsePage(mail.html)).all('img')).toHaveLength(0)
    expect(mail.text).toContain(`Hello ${EVIL},`)
  })

  it('greets without a name', () => {
    const mail = codeEmail({
      app: APP,
      to: 'a@example.tn',
      locale: 'en',
      purpose: 'login',
      code: '482913',
      minutes: 10,
      name: null,
    })
    expect(mail.text.startsWith('Hello,\n')).toBe(true)
  })
})

describe('noticeEmail', () => {
  it.each(['password_changed', 'password_reset'] as const)('%s: names the app in the subject, text and HTML', (what) => {
    const mail = noticeEmail({ app: APP, to: 'a@example.tn', locale: 'en', name: 'Leila', what })
    expect(mail.to).toBe('a@example.tn')
    expect(mail.subject).toBe(`Your ${APP} password was changed`)
    expect(mail.text).toContain(APP)
    expect(mail.html).toContain(APP)
    expect(mail.text).toContain('Hello Leila,')
    expect(mail.text).toMatch(what === 'password_changed' ? /was changed/ : /was reset/)
  })

  it('escapes the name in the HTML part', async () => {
    const mail = noticeEmail({ app: APP, to: 'a@example.tn', locale: 'en', name: EVIL, what: 'password_changed' })
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(mail.html).not.toContain('<img')
    expect((await parsePage(mail.html)).all('img')).toHaveLength(0)
  })
})

describe('welcomeEmail', () => {
  it('welcomes by name to the app, in the subject, text and HTML, with no code or link', () => {
    const mail = welcomeEmail({ app: APP, to: 'a@example.tn', locale: 'en', name: 'Leila' })
    expect(mail.to).toBe('a@example.tn')
    expect(mail.subject).toBe(`Welcome to ${APP}`)
    expect(mail.text).toMatch(/^Hello Leila,\n/)
    expect(mail.text).toContain(`Welcome to ${APP}!`)
    expect(mail.html).toContain(`Welcome to ${APP}!`)
    expect(mail.html).not.toMatch(/<a |<script/i)
  })

  it('greets plainly without a name, and escapes a name in the HTML part', async () => {
    expect(welcomeEmail({ app: APP, to: 'a@example.tn', locale: 'en', name: null }).text).toMatch(/^Hello,\n/)
    const mail = welcomeEmail({ app: APP, to: 'a@example.tn', locale: 'en', name: EVIL })
    expect(mail.html).not.toContain('<img')
    expect((await parsePage(mail.html)).all('img')).toHaveLength(0)
  })
})

describe('the pages', () => {
  it('PAGE_STYLE_HASH is the sha256 of PAGE_STYLE, and the CSP allows only that style', async () => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(PAGE_STYLE)))
    const base64 = btoa(String.fromCharCode(...digest))
    expect(PAGE_STYLE_HASH).toBe(`sha256-${base64}`)
    expect(PAGE_CSP).toContain(`style-src '${PAGE_STYLE_HASH}'`)
    expect(PAGE_CSP).toContain("default-src 'none'")
    expect(PAGE_CSP).not.toContain('script-src')
    expect(PAGE_CSP).not.toContain('unsafe-inline')
  })

  it('the layout holds the style exactly as hashed', () => {
    expect(layout(APP, 'T', '')).toContain(`<style>${PAGE_STYLE}</style>`)
  })

  const PAGES: Record<string, string> = {
    verifiedPage: verifiedPage(view(APP)),
    linkFailedPage: linkFailedPage(view(APP), 'link_reset_invalid_title'),
    resetFormPage: resetFormPage(view(APP), 'tok_en-123456789012345678', 8),
    'resetFormPage with an error': resetFormPage(view(APP), 'tok_en-123456789012345678', 8, 'Too common'),
    resetDonePage: resetDonePage(view(APP)),
  }

  it.each(Object.entries(PAGES))('%s: has a language, one h1, a title with the app name, no script', async (_, html) => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    const page = await parsePage(html)
    expect(page.all('html')[0]?.attrs.lang).toBe('en')
    expect(page.all('h1')).toHaveLength(1)
    expect(page.text('h1')).not.toBe('')
    expect(page.all('title')).toHaveLength(1)
    expect(page.text('title')).toBe(`${page.text('h1')} · ${APP}`)
    expect(page.all('main')).toHaveLength(1)
    expect(page.all('meta').some((m) => m.attrs.charset === 'utf-8')).toBe(true)
    expect(page.all('script')).toHaveLength(0)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/\son[a-z]+=/i)
  })

  it('speaks the language it is given: Arabic right to left, French, and the form keeps it for its answer', async () => {
    const ar = await parsePage(resetFormPage(view(APP, 'ar'), 'tok_en-123456789012345678', 8))
    expect(ar.all('html')[0]?.attrs).toMatchObject({ lang: 'ar', dir: 'rtl' })
    expect(ar.text('h1')).toBe('اختر كلمة مرور جديدة')
    expect(ar.all('form')[0]?.attrs.action).toBe('/api/v1/auth/email/reset?ui_locales=ar')
    const fr = await parsePage(linkFailedPage(view(APP, 'fr'), 'link_reset_invalid_title'))
    expect(fr.all('html')[0]?.attrs).toMatchObject({ lang: 'fr', dir: 'ltr' })
    expect(fr.text('h1')).toBe('Lien de réinitialisation non valide')
  })

  it('escapes what it is given: app name, title, token and error message', async () => {
    const html = resetFormPage(view(EVIL), '"><script>alert(1)</script>', 8, `${EVIL} is not allowed`)
    expect(html).not.toContain('<img')
    expect(html).not.toMatch(/<script/i)
    const page = await parsePage(html)
    expect(page.all('img')).toHaveLength(0)
    // HTMLRewriter reports the source text: entities as written, which a browser decodes back.
    expect(page.all('input').find((i) => i.attrs.name === 'token')?.attrs.value).toBe(
      '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;',
    )
    expect(page.text('[role=alert]')).toBe('&lt;img src=x onerror=alert(1)&gt; is not allowed')
    expect(linkFailedPage(view(EVIL), 'link_reset_invalid_title')).not.toContain('<img')
  })

  it('labels the password input and ties the hint and the error to it', async () => {
    const page = await parsePage(resetFormPage(view(APP), 'tok_en-123456789012345678', 12, 'Too common'))
    const input = page.all('input').find((i) => i.attrs.name === 'new_password')
    expect(input?.attrs).toMatchObject({
      type: 'password',
      autocomplete: 'new-password',
      minlength: '12',
      maxlength: '128',
      'aria-invalid': 'true',
    })
    expect(page.all('label').find((l) => l.attrs.for === input?.attrs.id)).toBeDefined()
    const described = (input?.attrs['aria-describedby'] ?? '').split(' ')
    const ids = page.elements.map((e) => e.attrs.id)
    for (const id of described) expect(ids).toContain(id)
    expect(described).toContain(page.all('p').find((p) => p.attrs.role === 'alert')?.attrs.id)
  })
})
