import { codeField, field, form, hidden, links, submit, turnstileWidget } from './forms'
import { esc, hostedPage, type Problem, type View } from './layout'

/** How a person names their account on a page: a mobile number (the default) or an email. */
export type Kind = 'phone' | 'email'

/** The phone or email input, pre-filled (login_hint, or what was typed). */
export function identifierField(v: View, o: { kind: Kind; value?: string | undefined; problem?: Problem; hint?: boolean }) {
  const phone = o.kind === 'phone'
  return field(
    {
      name: o.kind,
      label: v.t(phone ? 'phone_label' : 'email_label'),
      type: phone ? 'tel' : 'email',
      autocomplete: phone ? 'tel' : 'email',
      inputmode: phone ? 'tel' : 'email',
      value: o.value,
      hint: o.hint ? v.t(phone ? 'phone_hint' : 'email_hint') : undefined,
      ltr: true,
      maxlength: phone ? 40 : 254,
      autofocus: true,
    },
    o.problem,
  )
}

/** The other ways to sign in, from a page of one of them. */
function otherWays(v: View, except: string): string {
  const all: Array<[string, string]> = [
    ['sign-in', v.t('with_phone')],
    ['sign-in/email', v.t('with_email')],
    ['sign-in/password', v.t('with_password')],
    ['sign-in/passkey', v.t('with_passkey')],
    ['sign-up', v.t('create_account')],
  ]
  return `<h2>${esc(v.t('other_ways'))}</h2>${links(
    v,
    all.filter(([p]) => p !== except),
  )}`
}

/** Sign in with a code: the phone (default page, posts to sign-in/code) or the email (sign-in/email). */
export function codeRequestScreen(v: View, o: { kind: Kind; value?: string | undefined; problem?: Problem }): string {
  const path = o.kind === 'phone' ? 'sign-in/code' : 'sign-in/email'
  return hostedPage(v, {
    title: v.t('sign_in_title'),
    problem: o.problem,
    turnstile: true,
    body: `${form(v, path, `${identifierField(v, { ...o, hint: true })}${turnstileWidget(v)}${submit(v.t('send_code'))}`)}
${otherWays(v, o.kind === 'phone' ? 'sign-in' : 'sign-in/email')}`,
  })
}

export interface CodeEntry {
  kind: Kind
  /** The phone or email as typed (the services parse it again). */
  to: string
  minutes: number
  length: number
  /** A registration's code (it was sent, whoever holds the number) rather than a login code. */
  signUp?: boolean
  problem?: Problem | undefined
}

/** The code typed after a code was sent: posts to sign-in/code/verify (the JSON API's /verify). */
export function codeScreen(v: View, o: CodeEntry): string {
  const sent = v.t(o.signUp ? 'code_sent_sign_up' : 'code_sent', { to: o.to, minutes: o.minutes })
  const code = codeField(v, o.length, o.problem)
  const resend = o.signUp
    ? ''
    : form(
        v,
        o.kind === 'phone' ? 'sign-in/code' : 'sign-in/email',
        `${hidden(o.kind, o.to)}${turnstileWidget(v)}${submit(v.t('resend_code'), ' class="secondary"')}`,
      )
  return hostedPage(v, {
    title: v.t('code_title'),
    lead: `<bdi>${esc(sent)}</bdi>`,
    problem: o.problem,
    turnstile: !o.signUp,
    body: `${form(v, 'sign-in/code/verify', `${hidden(o.kind, o.to)}${o.signUp ? hidden('sign_up', '1') : ''}${code}${submit(v.t('continue'))}`)}
${resend}
${links(v, [[o.kind === 'phone' ? 'sign-in' : 'sign-in/email', v.t('use_another')]])}`,
  })
}

/** Sign in with a password, by phone (default) or email (`?by=email`). */
export function passwordScreen(v: View, o: { kind: Kind; value?: string | undefined; problem?: Problem }): string {
  const other: [string, string] =
    o.kind === 'phone' ? ['sign-in/password?by=email', v.t('use_email_instead')] : ['sign-in/password', v.t('use_phone_instead')]
  const password = field(
    { name: 'password', label: v.t('password_label'), type: 'password', autocomplete: 'current-password', maxlength: 512 },
    o.problem,
  )
  return hostedPage(v, {
    title: v.t('password_title'),
    problem: o.problem,
    body: `${form(v, 'sign-in/password', `${identifierField(v, o)}${password}${submit(v.t('sign_in_button'))}`)}
${links(v, [other, ['forgot-password', v.t('forgot_password')]])}
${otherWays(v, 'sign-in/password')}`,
  })
}

/**
 * A passkey button: public/oauth2/passkey.js asks `options` for request options, lets the
 * authenticator answer, puts the assertion's JSON in the hidden `fieldName` input and submits.
 */
export function passkeyForm(v: View, o: { path: string; fieldName: string; extra?: string; label: string }): string {
  const data = [
    `id="passkey-form"`,
    `data-options="${esc(`${v.api}/auth/passkey/options`)}"`,
    `data-field="${esc(o.fieldName)}"`,
    `data-failed="${esc(v.t('passkey_failed'))}"`,
    `data-unsupported="${esc(v.t('passkey_unsupported'))}"`,
  ].join(' ')
  return `${form(v, o.path, `${o.extra ?? ''}${hidden(o.fieldName, '')}${submit(o.label, ' data-passkey hidden')}`, ` ${data}`)}
<p id="passkey-status" class="status" role="alert"></p>
<noscript><p>${esc(v.t('passkey_needs_script'))}</p></noscript>`
}

/** Sign in with a passkey (discoverable: the authenticator offers this site's passkeys). */
export function passkeyScreen(v: View, o: { problem?: Problem }): string {
  return hostedPage(v, {
    title: v.t('passkey_title'),
    problem: o.problem,
    scripts: ['passkey.js'],
    body: `<p>${esc(v.t('passkey_intro'))}</p>
${passkeyForm(v, { path: 'sign-in/passkey', fieldName: 'credential', label: v.t('passkey_button') })}
${otherWays(v, 'sign-in/passkey')}`,
  })
}

/** The second step (SPEC §14): TOTP, a recovery code, or a passkey; the mfa_token stays hidden. */
export function mfaScreen(v: View, o: { mfaToken: string; methods: string[]; problem?: Problem }): string {
  const keep = `${hidden('mfa_token', o.mfaToken)}${hidden('methods', o.methods.join(' '))}`
  const totp = o.methods.includes('totp')
    ? form(
        v,
        'sign-in/mfa',
        `${keep}${field(
          {
            name: 'totp',
            label: v.t('totp_label'),
            type: 'text',
            autocomplete: 'one-time-code',
            inputmode: 'numeric',
            ltr: true,
            maxlength: 6,
            autofocus: true,
          },
          o.problem,
        )}${submit(v.t('continue'))}`,
      )
    : ''
  const recovery = o.methods.includes('recovery_code')
    ? `<h2>${esc(v.t('recovery_title'))}</h2><p class="hint">${esc(v.t('recovery_intro'))}</p>${form(
        v,
        'sign-in/mfa',
        `${keep}${field(
          { name: 'recovery_code', label: v.t('recovery_label'), type: 'text', autocomplete: 'off', ltr: true, maxlength: 32 },
          o.problem,
        )}${submit(v.t('continue'), ' class="secondary"')}`,
      )}`
    : ''
  const passkey = o.methods.includes('passkey')
    ? `<h2>${esc(v.t('mfa_passkey'))}</h2>${passkeyForm(v, { path: 'sign-in/mfa', fieldName: 'passkey', extra: keep, label: v.t('passkey_button') })}`
    : ''
  return hostedPage(v, {
    title: v.t('mfa_title'),
    lead: o.methods.includes('totp') ? esc(v.t('mfa_intro')) : undefined,
    problem: o.problem,
    scripts: o.methods.includes('passkey') ? ['passkey.js'] : [],
    body: `${totp}${recovery}${passkey}${links(v, [['sign-in', v.t('back_to_sign_in')]])}`,
  })
}
