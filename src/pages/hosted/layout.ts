import type { Locale } from '../../config'
import { directionOf } from '../../i18n/locale'
import type { Translate } from '../../i18n/pages'
import { escapeHtml } from '../../templates/escape'

/** Where the pages' stylesheet and script are served from (Workers static assets of public/oauth2/). */
export const HOSTED_ASSETS = '/oauth2/assets'

/** What every hosted page is rendered with. */
export interface View {
  locale: Locale
  t: Translate
  /** The pool's APP_NAME (SPEC §12 `app_name`). */
  app: string
  /** The pool's prefix of /oauth2: '' or '/pools/<id>'. */
  base: string
  /** The pool's JSON API base (`/api/v1` or `/api/v1/pools/<id>`), for the passkey script. */
  api: string
  /** The CSP nonce of this response. */
  nonce: string
  /** The sealed authorization request, carried in every form and link. */
  request: string
  /** The form's CSRF token. */
  csrf: string
  /** The client the person signs in to, when known. */
  clientName?: string | undefined
  /** Cloudflare Turnstile's site key when the bot defence is on (SPEC §5): forms that send a code show its widget. */
  turnstile?: string | undefined
}

/** Turnstile's script: the one thing the pages load from elsewhere, and only with the defence on. */
export const TURNSTILE_ORIGIN = 'https://challenges.cloudflare.com'

/** An error shown on a page: its message, and the field it is about (linked from the summary). */
export interface Problem {
  message: string
  field?: string | undefined
}

export interface PageParts {
  title: string
  /** A line under the heading (not escaped: build it with `esc`). */
  lead?: string | undefined
  body: string
  problem?: Problem | undefined
  /** Scripts of HOSTED_ASSETS to load (with the nonce). */
  scripts?: string[]
  /** The page has a form that sends a code: Turnstile's widget script, when the defence is on. */
  turnstile?: boolean
}

export const esc = escapeHtml

/**
 * The error summary (GOV.UK pattern): announced (role=alert) and focused on load, each message a
 * link to its field.
 */
function summary(v: View, problem: Problem | undefined): string {
  if (!problem) return ''
  const item = problem.field ? `<a href="#${esc(problem.field)}">${esc(problem.message)}</a>` : esc(problem.message)
  return `<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus>
<h2 id="error-summary-title">${esc(v.t('error_summary_title'))}</h2>
<ul><li>${item}</li></ul>
</div>`
}

/** A whole page: `<html lang dir>`, the pool's name, one h1, the stylesheet and scripts by nonce. */
export function hostedPage(v: View, p: PageParts): string {
  const scripts = (p.scripts ?? []).map((s) => `<script src="${HOSTED_ASSETS}/${s}" nonce="${v.nonce}" defer></script>`)
  if (p.turnstile && v.turnstile) {
    scripts.push(`<script src="${TURNSTILE_ORIGIN}/turnstile/v0/api.js" nonce="${v.nonce}" async defer></script>`)
  }
  const lead = p.lead ?? (v.clientName ? esc(v.t('continue_to', { client: v.clientName })) : '')
  return `<!doctype html>
<html lang="${v.locale}" dir="${directionOf(v.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${esc(p.title)} · ${esc(v.app)}</title>
<link rel="stylesheet" href="${HOSTED_ASSETS}/hosted.css" nonce="${v.nonce}">
${scripts.join('\n')}
</head>
<body>
<header class="brand">${esc(v.app)}</header>
<main>
<h1>${esc(p.title)}</h1>
${lead ? `<p class="lead">${lead}</p>` : ''}
${summary(v, p.problem)}
${p.body}
</main>
</body>
</html>`
}
