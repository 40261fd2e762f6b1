import type { Locale } from '../config'
import type { PageKey, Translate } from '../i18n/pages'
import { escapeHtml } from '../templates/escape'
import { layout } from './layout'

/**
 * The pages of the email links (SPEC §6.6), in the language the link names (`ui_locales`: the
 * account's, SPEC §15) or the browser's. Their strings are the hosted pages' catalogue's `link_*`.
 */
export interface LinkView {
  app: string
  locale: Locale
  t: Translate
}

/** Where a page's form posts, keeping its language for the answer page. */
const action = (v: LinkView, base: string, path: string) => escapeHtml(`${base}${path}?ui_locales=${v.locale}`)

/**
 * The page an email verification link opens: it changes nothing (mail scanners fetch links); the
 * button posts the token, which stands only in a hidden field. `base`: the pool's API base (SPEC §12).
 */
export function confirmEmailPage(v: LinkView, token: string, base = '/api/v1'): string {
  return layout(
    v.app,
    v.t('link_confirm_title'),
    `<p id="why">${escapeHtml(v.t('link_confirm_lead', { app: v.app }))}</p>
<form method="post" action="${action(v, base, '/auth/email/verify')}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit" aria-describedby="why">${escapeHtml(v.t('link_confirm_button'))}</button>
</form>`,
    v.locale,
  )
}

export function verifiedPage(v: LinkView): string {
  return layout(v.app, v.t('link_verified_title'), `<p role="status">${escapeHtml(v.t('link_verified_lead'))}</p>`, v.locale)
}

export function linkFailedPage(v: LinkView, title: PageKey): string {
  return layout(
    v.app,
    v.t(title),
    `<p class="error" role="alert">${escapeHtml(v.t('link_failed_lead'))}</p><p>${escapeHtml(v.t('link_failed_next'))}</p>`,
    v.locale,
  )
}

export function resetFormPage(v: LinkView, token: string, minLength: number, error?: string, base = '/api/v1'): string {
  return layout(
    v.app,
    v.t('link_reset_title'),
    `${error ? `<p class="error" role="alert" id="err">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${action(v, base, '/auth/email/reset')}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="new_password">${escapeHtml(v.t('link_reset_label'))}</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="${minLength}" maxlength="128"${error ? ' aria-invalid="true" aria-describedby="err hint"' : ' aria-describedby="hint"'}>
<p class="hint" id="hint">${escapeHtml(v.t('link_reset_hint', { min: minLength }))}</p>
<button type="submit">${escapeHtml(v.t('link_reset_button'))}</button>
</form>`,
    v.locale,
  )
}

export function resetDonePage(v: LinkView): string {
  return layout(v.app, v.t('link_reset_done_title'), `<p role="status">${escapeHtml(v.t('link_reset_done_lead'))}</p>`, v.locale)
}
