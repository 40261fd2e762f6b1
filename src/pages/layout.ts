import type { Locale } from '../config'
import { directionOf } from '../i18n/locale'
import { escapeHtml } from '../templates/escape'

/** The only styles of the pages; allowed by its hash in the CSP, so no inline style else runs. */
export const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;color:#1a1a1a;background:#f6f7f9;margin:0}main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:1.4rem;margin-top:0}label{display:block;font-weight:600;margin:1rem 0 .3rem}input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #8a8f98;border-radius:.4rem}input:focus{outline:3px solid #0b57d0;outline-offset:1px}button{margin-top:1.2rem;padding:.7rem 1.2rem;font-size:1rem;background:#0b57d0;color:#fff;border:0;border-radius:.4rem;cursor:pointer}.error{color:#b3261e;font-weight:600}.hint{color:#555;font-size:.9rem}'

/** sha256 of PAGE_STYLE, base64 (checked by a unit test). */
export const PAGE_STYLE_HASH = 'sha256-b7nRGCRFOmC61mj94iVlMc3+XgFEe30ePr5DlDsVqMU='

/** Strict CSP of the pages: nothing external, no script, forms post only to us. */
export const PAGE_CSP = `default-src 'none'; style-src '${PAGE_STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`

/** A small accessible page: one heading, landmarks, language (and its direction), no script. */
export function layout(app: string, title: string, body: string, locale: Locale = 'en'): string {
  return `<!doctype html>
<html lang="${locale}" dir="${directionOf(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · ${escapeHtml(app)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`
}
