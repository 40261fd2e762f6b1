import { codeField, field, form, hidden, links, submit, turnstileWidget } from './forms'
import { esc, hostedPage, type Problem, type View } from './layout'
import { identifierField, type Kind } from './sign-in'

export interface PasswordRules {
  min: number
  classes: boolean
}

const rulesText = (v: View, r: PasswordRules) => v.t(r.classes ? 'password_rules_classes' : 'password_rules', { min: r.min })

function newPassword(v: View, o: { name: string; label: string; rules: PasswordRules; problem?: Problem | undefined }) {
  return field(
    { name: o.name, label: o.label, type: 'password', autocomplete: 'new-password', hint: rulesText(v, o.rules), maxlength: 512 },
    o.problem,
  )
}

export interface SignUp {
  kind: Kind
  values: { identifier?: string | undefined; name?: string | undefined }
  /** The pool signs up with a password (the JSON API's /register); without, by code only (OTP_SIGNUP). */
  password: PasswordRules | undefined
  problem?: Problem | undefined
}

/** Sign-up: phone (or email, `?by=email`), an optional name, and a password unless the pool signs up by code. */
export function signUpScreen(v: View, o: SignUp): string {
  const name = field(
    {
      name: 'name',
      label: v.t('name_label'),
      type: 'text',
      autocomplete: 'name',
      value: o.values.name,
      required: false,
      maxlength: 100,
    },
    o.problem,
  )
  const password = o.password
    ? newPassword(v, { name: 'password', label: v.t('new_password_label'), rules: o.password, problem: o.problem })
    : ''
  const other: [string, string] =
    o.kind === 'phone' ? ['sign-up?by=email', v.t('use_email_instead')] : ['sign-up', v.t('use_phone_instead')]
  // Passwordless sign-up is by text message only (SPEC §6.1 OTP_SIGNUP): no email variant then.
  const variants = o.password ? [other] : []
  return hostedPage(v, {
    title: v.t('sign_up_title'),
    problem: o.problem,
    turnstile: true,
    body: `${form(
      v,
      'sign-up',
      `${hidden('by', o.kind)}${identifierField(v, { kind: o.kind, value: o.values.identifier, problem: o.problem, hint: true })}${name}${password}${turnstileWidget(v)}${submit(v.t('sign_up_button'))}`,
    )}
${links(v, [...variants, ['sign-in', v.t('have_account')]])}`,
  })
}

/** Forgot password, step 1: where to send the reset code. */
export function forgotScreen(v: View, o: { kind: Kind; value?: string | undefined; problem?: Problem }): string {
  const other: [string, string] =
    o.kind === 'phone' ? ['forgot-password?by=email', v.t('use_email_instead')] : ['forgot-password', v.t('use_phone_instead')]
  return hostedPage(v, {
    title: v.t('forgot_title'),
    lead: esc(v.t('forgot_intro')),
    problem: o.problem,
    turnstile: true,
    body: `${form(v, 'forgot-password', `${identifierField(v, o)}${turnstileWidget(v)}${submit(v.t('send_code'))}`)}
${links(v, [other, ['sign-in/password', v.t('back_to_sign_in')]])}`,
  })
}

/** Forgot password, step 2: the code and the new password (then the page signs in with it). */
export function resetScreen(
  v: View,
  o: { kind: Kind; to: string; minutes: number; length: number; rules: PasswordRules; problem?: Problem | undefined },
): string {
  const code = codeField(v, o.length, o.problem)
  const password = newPassword(v, {
    name: 'new_password',
    label: v.t('reset_new_password_label'),
    rules: o.rules,
    problem: o.problem,
  })
  return hostedPage(v, {
    title: v.t('reset_title'),
    lead: `<bdi>${esc(v.t('reset_sent', { to: o.to, minutes: o.minutes }))}</bdi>`,
    problem: o.problem,
    body: `${form(v, 'forgot-password/confirm', `${hidden(o.kind, o.to)}${code}${password}${submit(v.t('reset_button'))}`)}
${links(v, [['forgot-password', v.t('use_another')]])}`,
  })
}

const SCOPE_KEYS = {
  openid: 'scope_openid',
  profile: 'scope_profile',
  email: 'scope_email',
  phone: 'scope_phone',
  offline_access: 'scope_offline_access',
} as const

/** Consent for a third-party client: what it asks, Allow or Deny (one form, two named buttons). */
export function consentScreen(v: View, o: { client: string; scopes: string[]; who: string }): string {
  const items = o.scopes.map((s) => {
    const key = SCOPE_KEYS[s as keyof typeof SCOPE_KEYS]
    return `<li>${esc(key ? v.t(key) : v.t('scope_other', { scope: s }))}</li>`
  })
  return hostedPage(v, {
    title: v.t('consent_title', { client: o.client }),
    lead: `<bdi>${esc(v.t('consent_signed_in_as', { who: o.who }))}</bdi>`,
    body: `<p>${esc(v.t('consent_intro', { client: o.client }))}</p>
<ul class="scopes">${items.join('')}</ul>
<p class="hint">${esc(v.t('consent_note'))}</p>
${form(
  v,
  'consent',
  `<div class="actions"><button type="submit" name="decision" value="allow">${esc(v.t('allow'))}</button><button type="submit" name="decision" value="deny" class="secondary">${esc(v.t('deny'))}</button></div>`,
)}`,
  })
}

/** A page that cannot go on (a forged or expired request, a refused form): the message, no form. */
export function errorScreen(v: View, message: string, signInAgain = false): string {
  return hostedPage(v, {
    title: v.t('error_title'),
    lead: '',
    body: `<p role="alert">${esc(message)}</p>${signInAgain && v.request ? links(v, [['sign-in', v.t('back_to_sign_in')]]) : ''}`,
  })
}
