import { CSRF_FIELD } from '../../middleware/csrf'
import { esc, hostedPage, type View } from './layout'

/**
 * RP-initiated logout (SPEC §15): "Sign out of <app>?" with a form bound to the browser session
 * (its own CSRF token, services/oidc/end-session.ts), posted back to end_session.
 */
export function logoutScreen(v: View, o: { client: string | undefined; action: string; request: string; csrf: string }): string {
  const app = o.client ?? v.app
  return hostedPage(v, {
    title: v.t('logout_title', { app }),
    lead: '',
    body: `<p id="logout-lead">${esc(v.t('logout_lead', { app: v.app }))}</p>
<form method="post" action="${esc(o.action)}">
<input type="hidden" name="request" value="${esc(o.request)}">
<input type="hidden" name="${CSRF_FIELD}" value="${esc(o.csrf)}">
<div class="actions"><button type="submit" aria-describedby="logout-lead">${esc(v.t('sign_out'))}</button></div>
</form>`,
  })
}

export function signedOutScreen(v: View): string {
  return hostedPage(v, { title: v.t('signed_out_title'), lead: '', body: `<p role="status">${esc(v.t('signed_out_lead'))}</p>` })
}
