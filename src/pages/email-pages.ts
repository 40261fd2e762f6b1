import { escapeHtml } from '../templates/escape'
import { layout } from './layout'

/**
 * The page an email verification link opens: it changes nothing (mail scanners fetch links); the
 * button posts the token, which stands only in a hidden field. `base`: the pool's API base (SPEC §12).
 */
export function confirmEmailPage(app: string, token: string, base = '/api/v1'): string {
  return layout(
    app,
    'Confirm your email',
    `<p id="why">To finish verifying your email address for ${escapeHtml(app)}, confirm it below.</p>
<form method="post" action="${escapeHtml(base)}/auth/email/verify">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit" aria-describedby="why">Confirm my email</button>
</form>`,
  )
}

export function verifiedPage(app: string): string {
  return layout(app, 'Email verified', `<p role="status">Thank you: your email address is verified. You can close this page.</p>`)
}

export function linkFailedPage(app: string, title: string): string {
  return layout(
    app,
    title,
    `<p class="error" role="alert">This link is invalid, has expired or was already used.</p><p>Ask for a new one from the app.</p>`,
  )
}

export function resetFormPage(app: string, token: string, minLength: number, error?: string, base = '/api/v1'): string {
  return layout(
    app,
    'Choose a new password',
    `${error ? `<p class="error" role="alert" id="err">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(base)}/auth/email/reset">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="new_password">New password</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="${minLength}" maxlength="128"${error ? ' aria-invalid="true" aria-describedby="err hint"' : ' aria-describedby="hint"'}>
<p class="hint" id="hint">At least ${minLength} characters. Every signed-in device will be signed out.</p>
<button type="submit">Set new password</button>
</form>`,
  )
}

export function resetDonePage(app: string): string {
  return layout(app, 'Password changed', `<p role="status">Your password has been changed. You can now log in with it.</p>`)
}
