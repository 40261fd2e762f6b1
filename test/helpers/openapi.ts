import { type Schema, Validator } from '@cfworker/json-schema'
import { call } from './app'

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is read loosely
export type Doc = any
// biome-ignore lint/suspicious/noExplicitAny: OpenAPI objects
type Obj = any

let cached: Promise<Doc> | undefined
/** The service's own OpenAPI document (fetched once per test file). */
export const openApiDocument = (): Promise<Doc> => {
  cached ??= call('GET', '/api/v1/openapi.json').then((r) => r.json())
  return cached
}

/** The headers SPEC §3 names: one on a response must be documented for its status. */
const API_HEADERS = ['x-request-id', 'retry-after', 'allow', 'www-authenticate']
const METHODS = ['get', 'put', 'post', 'delete', 'patch']

/** The validator builds JSON pointers with encodeURI, which throws on a lone surrogate (say in `fields`). */
const wellFormedString = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedString(value)
  if (Array.isArray(value)) return value.map(wellFormed)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormedString(k), wellFormed(v)]))
  }
  return value
}

/** An answer as the checker reads it: its body already read as text. */
export interface Answer {
  status: number
  headers: Headers
  text: string
}

/** The documented operation of `method path`: its path template, path item and operation (if the method is served). */
export interface Located {
  template: string
  item: Obj
  op: Obj | undefined
}

/**
 * Checks answers against an OpenAPI 3.1 document with a JSON Schema validator (2020-12, no eval:
 * it runs in workerd): the status, the content type, the body and the headers must all be
 * documented for the operation. Returns the contradictions found (none: the answer is documented).
 */
export function openApiChecker(doc: Doc) {
  const paths = Object.keys(doc.paths).map((template) => {
    const source = template
      .split('/')
      .map((s) => (s === '{path}' ? '.+' : s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('/')
    return { template, pattern: new RegExp(`^${source}$`), literal: !template.includes('{') }
  })
  // Literal paths first: `/me/sessions` before a template that could also match.
  paths.sort((a, b) => Number(b.literal) - Number(a.literal))
  const defs = JSON.parse(JSON.stringify(doc.components?.schemas ?? {}).replaceAll('#/components/schemas/', '#/$defs/'))
  const validators = new Map<string, Validator>()
  const validate = (schema: Obj, raw: unknown) => {
    const value = wellFormed(raw)
    const key = JSON.stringify(schema)
    let v = validators.get(key)
    if (!v) {
      const root = JSON.parse(key.replaceAll('#/components/schemas/', '#/$defs/'))
      v = new Validator({ ...root, $defs: defs } as Schema, '2020-12', false)
      validators.set(key, v)
    }
    return v.validate(value).errors.map((e) => `${e.instanceLocation} ${e.error}`)
  }
  const deref = (o: Obj): Obj => {
    if (!o?.$ref) return o
    const [, , kind, name] = String(o.$ref).split('/')
    return deref(doc.components[kind as string][name as string])
  }

  function locate(method: string, path: string): Located | undefined {
    const found = paths.find((p) => p.pattern.test(path))
    if (!found) return undefined
    const item = doc.paths[found.template]
    return { template: found.template, item, op: item[method === 'HEAD' ? 'get' : method.toLowerCase()] }
  }

  function check(method: string, url: string, answer: Answer): string[] {
    const path = new URL(url, 'http://localhost').pathname
    const where = locate(method, path)
    if (!where) return [`${method} ${path}: no such path in the document`]
    const key = `${method} ${where.template} → ${answer.status}`
    // A method the path does not serve is refused before anything else runs (app.ts): only its 405,
    // which every operation of the path documents alike.
    const served = METHODS.map((m) => where.item[m]).filter(Boolean)
    const op = where.op ?? (answer.status === 405 ? served[0] : undefined)
    if (!op) return [`${key}: a method the path does not serve answered other than 405`]
    const response = deref(op.responses[answer.status] ?? op.responses[`${String(answer.status)[0]}XX`])
    if (!response) return [`${key}: undocumented status (documented: ${Object.keys(op.responses).join(', ')})`]
    const problems: string[] = []
    const type = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? ''
    const content = response.content ?? {}
    if (Object.keys(content).length === 0 || method === 'HEAD') {
      if (answer.text !== '') problems.push(`${key}: a body where none is documented`)
    } else if (!content[type]) {
      problems.push(`${key}: content type "${type}" undocumented (documented: ${Object.keys(content).join(', ')})`)
    } else {
      const schema = content[type].schema ?? {}
      let body: unknown = answer.text
      if (/json$/.test(type)) {
        try {
          body = JSON.parse(answer.text)
        } catch {
          problems.push(`${key}: ${type} body is not JSON`)
        }
      }
      for (const e of validate(schema, body).slice(0, 5)) problems.push(`${key} body: ${e}`)
    }
    const documented = Object.fromEntries(Object.entries(response.headers ?? {}).map(([n, h]) => [n.toLowerCase(), deref(h)]))
    for (const [name, header] of Object.entries<Obj>(documented)) {
      const value = answer.headers.get(name)
      if (value === null) {
        if (header.required) problems.push(`${key}: header ${name} missing`)
      } else {
        for (const e of validate(header.schema ?? {}, value)) problems.push(`${key}: header ${name}: ${e}`)
      }
    }
    for (const name of API_HEADERS) {
      if (answer.headers.has(name) && !documented[name]) problems.push(`${key}: header ${name} undocumented`)
    }
    return problems
  }

  return { check, locate }
}
