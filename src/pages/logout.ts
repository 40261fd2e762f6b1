import { escapeHtml } from '../templates/escape'
import { layout, PAGE_CSP } from './layout'

/**
 * The RP-initiated logout pages (SPEC §15): "Sign out of <app>?" with a CSRF-protected form, and
 * "You are signed out". Rendered with the email pages' layout until the hosted pages' layout exists.
 */
export function logoutConfirmPage(i: {
  appName: string
  clientName: string | undefined
  request: string
  csrf: string
  action: string
}) {
  const title = i.clientName ? `Sign out of ${i.clientName}?` : `Sign out of ${i.appName}?`
  return layout(
    i.appName,
    title,
    `<p>You will be signed out of ${escapeHtml(i.appName)} on this browser, and of the apps you signed in to with it.</p>
<form method="post" action="${escapeHtml(i.action)}">
<input type="hidden" name="request" value="${escapeHtml(i.request)}">
<input type="hidden" name="csrf" value="${escapeHtml(i.csrf)}">
<button type="submit">Sign out</button>
</form>`,
  )
}

export function signedOutPage(appName: string) {
  return layout(appName, 'You are signed out', '<p>You can close this window.</p>')
}

/** The pages' CSP; the confirmation form may lead (by its 303) to the client's registered origin. */
export function logoutCsp(formOrigin: string | undefined): string {
  return formOrigin ? PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${formOrigin}`) : PAGE_CSP
}
