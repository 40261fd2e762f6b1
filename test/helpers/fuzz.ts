import fc from 'fast-check'

/**
 * Generators of hostile input for the fuzz test (issue 6): strings with Unicode edge cases,
 * control characters and NUL, huge strings, injection-looking text, JSON of any shape written
 * as raw text (so duplicate keys and `__proto__` survive), form bodies, query strings and path
 * segments.
 */

/** Single characters that break naive code: controls, NUL, bidi, zero-width, surrogates, emoji. */
export const SPECIAL_CHARS = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\u001b',
  '\t',
  '\n',
  '\r\n',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00ad',
  '\u2028',
  '\u2029',
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  '\u061c',
  '\u200b', // zero-width space
  '\u200d', // zero-width joiner
  '\ufeff', // BOM
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\ufffd',
  '\uffff',
  '👨‍👩‍👧‍👦',
  '🇹🇳',
  '😀',
  'e\u0301',
  'ﬃ',
  'İ',
  'ß',
  '𝕒',
  'ع',
  '"',
  '\\',
  "'",
  '%',
  '&',
  '=',
  '<',
  '/',
]

/** Text that looks like an attack or like a value of another type. */
export const TRICKY_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" UNION SELECT password_hash FROM users --',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../etc/passwd',
  '%00',
  '%s%s%s%n',
  'null',
  'undefined',
  'NaN',
  'true',
  '[]',
  '{}',
  '1e309',
  '-0',
  '0x1F',
  '123',
  '-1',
  '+21698765432',
  '98 765 432',
  '0021698765432',
  '+216 98 765 432 ext. 5',
  '+33612345678',
  'root',
  'super_admin',
  'admin@example.tn',
  'ADMIN@EXAMPLE.TN ',
  '123456',
  '__proto__',
  'constructor',
  'prototype',
  '',
  ' ',
]

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n))

/** One "character": any code point, a special one, a lone surrogate, or printable ASCII. */
export const hostileChar = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom(...SPECIAL_CHARS),
  lone,
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
)

/** A huge string: one character repeated to 1–70 KiB of UTF-16 units. */
export const hugeString = fc
  .tuple(fc.constantFrom('a', '9', 'é', '\u0000', '👍', '\ud800', ' '), fc.integer({ min: 1024, max: 70 * 1024 }))
  .map(([c, n]) => c.repeat(Math.max(1, Math.floor(n / c.length))))

export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: hostileChar, maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: hugeString },
)

/** Prototype-pollution keys and fields no client may set. */
export const DANGEROUS_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'polluted',
  'role',
  'status',
  'is_verified',
  'phone_verified',
  'email_verified',
  'password_hash',
  'id',
  'user_id',
  'created_by',
]

/** An object key: mostly the endpoint's own fields, else dangerous or random ones. */
export function keyArb(fields: string[]) {
  const known = fields.length > 0 ? [{ weight: 5, arbitrary: fc.constantFrom(...fields) }] : []
  return fc.oneof(
    ...known,
    { weight: 2, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: hostileChar, maxLength: 6 }) },
  )
}

/** Any JSON value, written as text; objects may repeat keys and carry `__proto__` as an own key. */
export function jsonTextArb(fields: string[]): fc.Arbitrary<string> {
  const key = keyArb(fields)
  const { value } = fc.letrec<{ value: string; leaf: string; array: string; object: string }>((tie) => ({
    leaf: fc.oneof(
      { weight: 5, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
      { weight: 1, arbitrary: fc.integer().map(String) },
      { weight: 1, arbitrary: fc.double().map((d) => JSON.stringify(d)) },
      { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', '1e308', '-0', '9007199254740993', '0.1', '1e-400') },
    ),
    array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    object: fc
      .array(fc.tuple(key, tie('value')), { maxLength: 5 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object')),
  }))
  return value
}

/** Text that passes a name-like field (2–100 characters, no controls) yet is hostile Unicode. */
const awkwardText = fc.string({
  unit: fc.constantFrom(
    'a',
    'ع',
    '\u202e',
    '\u200b',
    '\u200d',
    '\ufeff',
    '👨‍👩‍👧‍👦',
    '\ud800',
    '\udfff',
    'e\u0301',
    'ﬃ',
    "'",
    '"',
    '<',
    '%',
    '\\',
  ),
  minLength: 2,
  maxLength: 60,
})

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n })

/**
 * Values that pass (or nearly pass) validation for the fields the API knows by name, so
 * generated requests get past the schemas and reach the services and D1. Unknown fields: none.
 */
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  phone: fc.oneof(
    digits(7).map((d) => `+2169${d}`),
    digits(6).map((d) => `9${d.slice(0, 1)} ${d.slice(1, 4)} ${d.slice(4)}0`),
    digits(8).map((d) => `+3361${d.slice(0, 7)}`),
  ),
  email: fc.oneof(
    digits(6).map((d) => `fuzz${d}@example.tn`),
    awkwardText.map((t) => `${t}@example.tn`),
    digits(3).map((d) => ` FUZZ${d}@EXAMPLE.TN `),
  ),
  password: fc.oneof(
    fc.constant('Tunis-Sol4r-2026'),
    awkwardText.map((t) => `Aa1-${t}`),
  ),
  new_password: awkwardText.map((t) => `Aa1-${t}-long`),
  old_password: fc.constant('Tunis-Sol4r-2026'),
  username: digits(6).map((d) => `fuzz.${d}`),
  name: awkwardText,
  surname: awkwardText,
  description: awkwardText,
  address: awkwardText,
  kind: awkwardText,
  type: awkwardText,
  device_id: fc.oneof(
    awkwardText,
    digits(8).map((d) => `inv-${d}`),
  ),
  code: fc.oneof(digits(6), digits(4), digits(10)),
  role: fc.oneof(
    { weight: 3, arbitrary: fc.constant('particulier') },
    { weight: 1, arbitrary: fc.constantFrom('admin', 'super_admin', 'client', 'subclient', 'root', 'PARTICULIER') },
  ),
  use_otp: fc.boolean(),
  grant_type: fc.constantFrom('password', 'refresh_token', 'client_credentials'),
  refresh_token: fc.string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'),
    minLength: 20,
    maxLength: 64,
  }),
  token: fc.string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'),
    minLength: 20,
    maxLength: 100,
  }),
  lat: fc.double({ min: -200, max: 200, noNaN: true }),
  lng: fc.double({ min: -200, max: 200, noNaN: true }),
  permissions: fc.array(
    fc.oneof(fc.constantFrom('users:read', 'users:write', 'policies:write', '*', 'audit:read'), awkwardText),
    { maxLength: 4 },
  ),
  policy_ids: fc.array(fc.oneof(fc.uuid(), awkwardText), { maxLength: 4 }),
  scope: awkwardText,
  client_id: awkwardText,
}

/** A plausible value of a field (JSON text), or a hostile one; `odds` is the plausible share. */
function fieldValueArb(field: string, hostile: fc.Arbitrary<string>, odds: number): fc.Arbitrary<string> {
  const plausible = PLAUSIBLE[field]
  if (!plausible) return hostile
  return fc.oneof({ weight: odds, arbitrary: plausible.map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: hostile })
}

const objectText = (entries: (readonly [string, string])[]) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`

/**
 * A JSON object of the endpoint's fields (each present or not): either nearly valid (mostly
 * plausible values, so requests reach the services and D1), or hostile values with a dangerous
 * extra key.
 */
export function shapedObjectArb(fields: string[]): fc.Arbitrary<string> {
  const value = jsonTextArb(fields)
  const nearlyValid = fc
    .subarray(fields)
    .chain((chosen) => fc.tuple(...chosen.map((f) => fieldValueArb(f, value, 6).map((v) => [f, v] as const))))
    .map(objectText)
  const hostile = fc
    .tuple(fc.subarray(fields), fc.tuple(fc.constantFrom(...DANGEROUS_KEYS), value))
    .chain(([chosen, extra]) =>
      fc.tuple(...chosen.map((f) => fieldValueArb(f, value, 1).map((v) => [f, v] as const))).map((pairs) => [...pairs, extra]),
    )
    .map(objectText)
  const complete = fc.tuple(...fields.map((f) => fieldValueArb(f, value, 8).map((v) => [f, v] as const))).map(objectText)
  // Most bodies need only 1–3 fields (an identifier and a secret): small, mostly plausible sets.
  const small = fc
    .shuffledSubarray(fields, { minLength: Math.min(1, fields.length), maxLength: Math.min(3, fields.length) })
    .chain((chosen) => fc.tuple(...chosen.map((f) => fieldValueArb(f, value, 8).map((v) => [f, v] as const))))
    .map(objectText)
  return fc.oneof(
    { weight: 2, arbitrary: small },
    { weight: 2, arbitrary: nearlyValid },
    { weight: 1, arbitrary: complete },
    { weight: 1, arbitrary: hostile },
  )
}

/** Deep nesting (10,000 levels) and other text that is or is almost JSON. */
export const DEEP_ARRAY = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
export const DEEP_OBJECT = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`

export function rawBodies(fields: string[]): string[] {
  const f = fields[0] ?? 'phone'
  return [
    DEEP_ARRAY,
    DEEP_OBJECT,
    `{"${f}":${DEEP_ARRAY}}`,
    '',
    ' ',
    'null',
    'true',
    '0',
    '-1',
    '"string"',
    '[]',
    '{}',
    '[{}]',
    '[{"__proto__":{"polluted":"yes"}}]',
    '{',
    '}',
    '{"a":1,}',
    "{'a':1}",
    '\ufeff{}',
    '{"a":"\u0000"}',
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
    `{"${f}":"\\udfff\\ud800"}`,
    'NaN',
    'Infinity',
    '{"a":1e999999}',
    `{"${f}":1e999999}`,
    '1'.repeat(70_000),
    `[${'1,'.repeat(30_000)}1]`,
    `{"${f}":"a","${f}":{"b":1},"${f}":["x"]}`,
    `{"${f}":"x","__proto__":{"polluted":"yes","role":"super_admin"}}`,
    '{"__proto__":{"polluted":"yes","role":"super_admin","is_verified":true}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"prototype":{"polluted":"yes"}}',
    `{"${f}":{"__proto__":{"polluted":"yes"}}}`,
    `{"${f}":{"constructor":{"prototype":{"polluted":"yes"}}}}`,
    `{"${f}":"${'x'.repeat(70 * 1024)}"}`,
    `{${fields.map((k) => `"${k}":"1"`).join(',')}}`,
    `{${fields.map((k) => `"${k}":1`).join(',')}}`,
    `{${fields.map((k) => `"${k}":[]`).join(',')}}`,
    `{${fields.map((k) => `"${k}":{}`).join(',')}}`,
    `{${fields.map((k) => `"${k}":null`).join(',')}}`,
    `{${fields.map((k) => `"${k}":"\\u0000"`).join(',')}}`,
    `[${JSON.stringify(Object.fromEntries(fields.map((k) => [k, 'x'])))}]`,
  ]
}

export const CONTENT_TYPES: (string | undefined)[] = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/json;charset=utf-16',
  'application/jsonp',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  '',
  undefined,
]

export const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>('application/json') },
  { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
)

/** Percent-encodes any string, lone surrogates included (as U+FFFD, like a browser). */
export function encode(s: string): string {
  try {
    return encodeURIComponent(s)
  } catch {
    return Array.from(new TextEncoder().encode(s), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  }
}

/** Raw path segments and query pieces that are malformed or try to escape. */
export const RAW_SEGMENTS = [
  '%00',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%2f..%2f',
  '%E0%A4%A',
  '%ZZ',
  '%',
  '%C0%AF',
  '%ED%A0%80',
  '__proto__',
  'constructor',
  'prototype',
  'x'.repeat(3000),
  '00000000-0000-0000-0000-000000000000',
  '1',
  '-1',
  'null',
]

export const segmentArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  { weight: 3, arbitrary: fc.string({ unit: hostileChar, minLength: 1, maxLength: 40 }).map(encode) },
  { weight: 1, arbitrary: fc.uuid() },
)

/** A query string from known and dangerous names with hostile (encoded or raw) values. */
export function queryArb(params: string[]): fc.Arbitrary<string> {
  const name = fc.oneof(...(params.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...params) }] : []), {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__[polluted]', 'constructor[prototype][polluted]', '__proto__', 'a[]', '%ZZ'),
  })
  const value = fc.oneof(
    { weight: 3, arbitrary: hostileString.filter((s) => s.length < 4000).map(encode) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%ZZ', '%00', '&', '=', '-1', '0', '1e9', '101', '1.5', 'abc') },
  )
  return fc.array(fc.tuple(name, value), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'))
}

/** A form body with repeated and dangerous names; values hostile. */
export function formArb(fields: string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...fields) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        '__proto__[polluted]',
        'constructor[prototype][polluted]',
        'a[]',
        'client_id',
      ),
    },
  )
  const value = fc.oneof(
    { weight: 3, arbitrary: hostileString.map(encode) },
    { weight: 2, arbitrary: fc.constantFrom('password', 'refresh_token', 'client_credentials', 'authorization_code', '') },
    { weight: 1, arbitrary: fc.constantFrom('%', '%ZZ', '%00', '+', '%2B') },
  )
  const random = fc.array(fc.tuple(name, value), { maxLength: 6 })
  // Each field once, plausible or hostile: gets past the form's own checks.
  const shaped = fc.subarray(fields).chain((chosen) =>
    fc.tuple(
      ...chosen.map((f) => {
        const plausible = PLAUSIBLE[f]
        const v = plausible
          ? fc.oneof(
              plausible.map((x) => encode(String(x))),
              hostileString.map(encode),
            )
          : hostileString.map(encode)
        return v.map((x) => [f, x] as const)
      }),
    ),
  )
  return fc.oneof(random, shaped).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'))
}
