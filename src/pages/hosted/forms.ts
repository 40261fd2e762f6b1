import { CSRF_FIELD } from '../../middleware/csrf'
import { esc, type Problem, type View } from './layout'

/** A hidden input. */
export const hidden = (name: string, value: string) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`

/** A form posting to `path` under the pool's /oauth2, with the request and CSRF fields. */
export function form(v: View, path: string, inner: string, attrs = ''): string {
  return `<form method="post" action="${esc(`${v.base}/oauth2/${path}`)}"${attrs} novalidate>
${hidden('request', v.request)}
${hidden(CSRF_FIELD, v.csrf)}
${inner}
</form>`
}

export interface FieldSpec {
  name: string
  label: string
  type: 'tel' | 'email' | 'text' | 'password'
  autocomplete: string
  value?: string | undefined
  hint?: string | undefined
  inputmode?: 'numeric' | 'tel' | 'email' | undefined
  required?: boolean
  /** Digits, phone numbers and emails read left to right in an Arabic page too. */
  ltr?: boolean
  maxlength?: number
  autofocus?: boolean
}

/**
 * A labelled input; with a problem about it, `aria-invalid` and the message linked by
 * `aria-describedby` (with its hint).
 */
export function field(f: FieldSpec, problem?: Problem): string {
  const id = f.name
  const wrong = problem?.field === f.name
  const described = [wrong ? `${id}-error` : '', f.hint ? `${id}-hint` : ''].filter(Boolean).join(' ')
  const attrs = [
    `id="${id}"`,
    `name="${id}"`,
    `type="${f.type}"`,
    `autocomplete="${f.autocomplete}"`,
    f.value !== undefined && f.type !== 'password' ? `value="${esc(f.value)}"` : '',
    f.inputmode ? `inputmode="${f.inputmode}"` : '',
    f.required === false ? '' : 'required',
    f.ltr ? 'dir="ltr"' : '',
    f.maxlength ? `maxlength="${f.maxlength}"` : '',
    f.type === 'text' || f.type === 'password' ? 'spellcheck="false" autocapitalize="off"' : '',
    wrong ? 'aria-invalid="true"' : '',
    described ? `aria-describedby="${described}"` : '',
    (f.autofocus ?? false) && !problem ? 'autofocus' : '',
  ].filter(Boolean)
  return `<div class="field">
<label for="${id}">${esc(f.label)}</label>
${f.hint ? `<p class="hint" id="${id}-hint">${esc(f.hint)}</p>` : ''}
${wrong ? `<p class="field-error" id="${id}-error">${esc(problem.message)}</p>` : ''}
<input ${attrs.join(' ')}>
</div>`
}

/** A submit button (its text is its accessible name). */
/** The one-time code's input (its `length` digits), as the code and reset pages ask for it. */
export function codeField(v: View, length: number, problem?: Problem): string {
  return field(
    {
      name: 'code',
      label: v.t('code_label'),
      type: 'text',
      autocomplete: 'one-time-code',
      inputmode: 'numeric',
      hint: v.t('code_hint', { length }),
      ltr: true,
      maxlength: 10,
      autofocus: true,
    },
    problem,
  )
}

export const submit = (label: string, attrs = '') => `<button type="submit"${attrs}>${esc(label)}</button>`

/** Links to other pages of the pool's /oauth2, each keeping the request. */
export function links(v: View, items: Array<[path: string, label: string]>): string {
  const href = (path: string) => {
    const [p, q] = path.split('?')
    return `${v.base}/oauth2/${p}?request=${encodeURIComponent(v.request)}${q ? `&${q}` : ''}`
  }
  return `<ul class="links">${items.map(([p, l]) => `<li><a href="${esc(href(p))}">${esc(l)}</a></li>`).join('')}</ul>`
}

/** Turnstile's widget (it posts `cf-turnstile-response`), when the bot defence is on. */
export const turnstileWidget = (v: View) =>
  v.turnstile ? `<div class="cf-turnstile" data-sitekey="${esc(v.turnstile)}" data-language="${v.locale}"></div>` : ''
