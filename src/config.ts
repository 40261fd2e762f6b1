import { z } from 'zod'

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
)
const url = z.url({ protocol: /^https?$/ })
export const STAFF_ROLES = ['super_admin', 'admin', 'client', 'subclient'] as const
export type StaffRole = (typeof STAFF_ROLES)[number]

const role = z.string().regex(/^[a-z][a-z0-9_]{1,31}$/)
const endUserRoles = z
  .array(role)
  .min(1)
  .refine((roles) => !roles.some((r) => STAFF_ROLES.includes(r as StaffRole)), {
    message: 'END_USER_ROLES cannot contain a staff role',
  })
const country = z.string().regex(/^[A-Z]{2}$/)
export const POOL_ID = /^[a-z0-9-]{1,32}$/

/** SPEC §12: what one user pool may set for itself (the global var of the same name otherwise). */
const PoolSettings = z.strictObject({
  app_name: z.string().min(1).max(60).optional(),
  end_user_roles: endUserRoles.optional(),
  otp_signup: z.boolean().optional(),
  password_min_length: z.number().int().min(8).max(128).optional(),
  password_require_classes: z.boolean().optional(),
  default_country: country.optional(),
  allowed_countries: z.array(country).optional(),
  access_token_expire_minutes: z.number().int().min(1).max(1440).optional(),
  refresh_token_expire_days: z.number().int().min(1).max(365).optional(),
  email_verification: z.enum(['optional', 'required']).optional(),
})
export type PoolSettings = z.infer<typeof PoolSettings>

/** A web origin (`https://host[:port]`, `http://localhost`…), or an Android app's `android:apk-key-hash:<base64url>`. */
const webauthnOrigin = z.union([
  z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, 'an origin: scheme://host[:port], no path'),
  z
    .string()
    .regex(/^android:apk-key-hash:[A-Za-z0-9_-]{43}$/, 'android:apk-key-hash:<SHA-256 of the signing certificate, base64url>'),
])

/** Whether `host` is the RP ID or one of its subdomains (WebAuthn: the RP ID is a registrable suffix of the origin's host). */
export const hostUnderRpId = (host: string, rpId: string) => host === rpId || host.endsWith(`.${rpId}`)

/** SPEC §15: the languages edge-auth has catalogues for (src/i18n); `LOCALES` picks among them. */
export const SUPPORTED_LOCALES = ['en', 'fr', 'ar'] as const
export type Locale = (typeof SUPPORTED_LOCALES)[number]

const SMS_PROVIDERS = ['console', 'twilio', 'infobip', 'vonage', 'fast2sms'] as const

/** SPEC §10: every var and secret, validated once per isolate. */
const ConfigSchema = z
  .object({
    ENVIRONMENT: z.enum(['development', 'production']).default('development'),
    APP_NAME: z.string().min(1).max(60).default('edge-auth'),
    PUBLIC_URL: url.default('http://localhost:8787'),
    JWT_ISSUER: z.string().min(1).default('edge-auth'),
    JWT_AUDIENCE: z.string().min(1).default('edge-auth'),
    ACCESS_TOKEN_EXPIRE_MINUTES: int(1, 1440).default(15),
    REFRESH_TOKEN_EXPIRE_DAYS: int(1, 365).default(30),
    REFRESH_REUSE_GRACE_SECONDS: int(0, 300).default(10),
    AUTH_STATE_CACHE_SECONDS: int(0, 60).default(1),
    OTP_LENGTH: int(4, 10).default(6),
    OTP_EXPIRE_MINUTES: int(1, 60).default(10),
    OTP_MAX_ATTEMPTS: int(1, 10).default(3),
    OTP_RESEND_COOLDOWN_SECONDS: int(0, 3600).default(60),
    OTP_DAILY_LIMIT: int(1, 1000).default(10),
    OTP_MAX_FAILURES_PER_DAY: int(1, 10000).default(20),
    OTP_SENDS_PER_IP_PER_HOUR: int(1, 10_000_000).default(30),
    SMS_PREFIX_DAILY_LIMIT: int(1, 10_000_000).default(50),
    SMS_COUNTRY_DAILY_LIMIT: int(1, 100_000_000).default(5000),
    SMS_DAILY_BUDGET: int(1, 100_000_000).default(10000),
    AUTH_REQUESTS_PER_IP_PER_MINUTE: int(1, 10_000_000).default(30),
    LOGIN_LOCKOUT_THRESHOLD: int(1, 1_000_000).default(5),
    LOGIN_LOCKOUT_MAX_MINUTES: int(1, 1440).default(60),
    OTP_SIGNUP: bool.default(false),
    // SPEC §13: `required` keeps an email its holder has not verified out of sign-in (read it from
    // the deps a service receives: a user pool may override it per request, §12).
    EMAIL_VERIFICATION: z.enum(['optional', 'required']).default('optional'),
    // SPEC §13: a welcome email once an account is active with a verified email.
    WELCOME_EMAIL: bool.default(false),
    DEFAULT_COUNTRY: country.default('TN'),
    ALLOWED_COUNTRIES: list.pipe(z.array(country)).default([]),
    END_USER_ROLES: list.pipe(endUserRoles).default(['particulier']),
    // SPEC §14: members of these roles reach staff and admin routes only with a token whose `amr`
    // has `mfa`. Empty by default so existing staff logins keep working; `super_admin,admin` in the
    // deployed environments (wrangler.toml).
    MFA_REQUIRED_ROLES: list.pipe(z.array(role)).default([]),
    PASSWORD_MIN_LENGTH: int(8, 128).default(8),
    PASSWORD_REQUIRE_CLASSES: bool.default(true),
    SCRYPT_LOG_N: int(1, 20).default(15),
    SCRYPT_R: int(1, 32).default(8),
    SCRYPT_P: int(1, 16).default(3),
    CORS_ORIGINS: list.default([]),
    // No default in production (below): console, the development default, sends nothing.
    SMS_PROVIDER: z.enum(SMS_PROVIDERS).optional(),
    SMS_FALLBACK_PROVIDER: z.enum(SMS_PROVIDERS).optional(),
    EMAIL_PROVIDER: z.enum(['console', 'resend', 'sendgrid', 'smtp']).optional(),
    EMAIL_FROM: z.string().default('edge-auth <no-reply@localhost>'),
    TWILIO_API_BASE: url.default('https://api.twilio.com'),
    TWILIO_ACCOUNT_SID: z.string().optional(),
    TWILIO_AUTH_TOKEN: z.string().optional(),
    TWILIO_PHONE_NUMBER: z.string().optional(),
    TWILIO_MESSAGING_SERVICE_SID: z.string().optional(),
    INFOBIP_BASE_URL: url.optional(),
    INFOBIP_API_KEY: z.string().optional(),
    INFOBIP_SENDER: z.string().optional(),
    VONAGE_API_BASE: url.default('https://rest.nexmo.com'),
    VONAGE_API_KEY: z.string().optional(),
    VONAGE_API_SECRET: z.string().optional(),
    VONAGE_FROM: z.string().optional(),
    FAST2SMS_API_BASE: url.default('https://www.fast2sms.com'),
    FAST2SMS_API_KEY: z.string().optional(),
    FAST2SMS_ROUTE: z.enum(['q', 'dlt_manual']).default('q'),
    FAST2SMS_SENDER_ID: z
      .string()
      .regex(/^[A-Za-z]{3,6}$/, 'a 3-6 letter DLT sender ID')
      .optional(),
    RESEND_API_BASE: url.default('https://api.resend.com'),
    RESEND_API_KEY: z.string().optional(),
    SENDGRID_API_BASE: url.default('https://api.sendgrid.com'),
    SENDGRID_API_KEY: z.string().optional(),
    SMTP_HOST: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, 'a host name or address')
      .optional(),
    SMTP_PORT: int(1, 65535).optional(),
    // SPEC §8: `tls` (implicit, port 465) or `starttls`; `none` for a local mail catcher in development.
    SMTP_SECURE: z.enum(['tls', 'starttls', 'none']).optional(),
    SMTP_AUTH: z.enum(['plain', 'login']).default('plain'),
    SMTP_USERNAME: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    JWT_PRIVATE_KEYS: z.string().optional(),
    JWT_SECRET_KEY: z.string().min(32, 'JWT_SECRET_KEY must be at least 32 characters').optional(),
    OTP_PEPPER: z.string().min(32, 'OTP_PEPPER must be at least 32 characters'),
    // SPEC §5 bot defence: set, the endpoints that send a code or a link require a Turnstile token.
    TURNSTILE_SECRET_KEY: z.string().optional(),
    TURNSTILE_SITE_KEY: z.string().optional(),
    TURNSTILE_API_BASE: url.default('https://challenges.cloudflare.com'),
    // SPEC §14 passkeys: the relying party's id (a domain) and the origins a ceremony may come
    // from; both default to PUBLIC_URL's (below), so one setting serves a browser-only deployment.
    WEBAUTHN_RP_ID: z
      .string()
      .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'a lower-case domain name')
      .optional(),
    WEBAUTHN_ORIGINS: list.pipe(z.array(webauthnOrigin)).optional(),
    // SPEC §15: the languages of the hosted pages, SMS and emails (a subset of SUPPORTED_LOCALES),
    // and the one used when neither `ui_locales` nor Accept-Language names one of them.
    LOCALES: list.pipe(z.array(z.enum(SUPPORTED_LOCALES)).min(1)).default([...SUPPORTED_LOCALES]),
    DEFAULT_LOCALE: z.enum(SUPPORTED_LOCALES).default('en'),
    // SPEC §12: `{ "<pool id>": { settings } }`; absent, the one pool `default`.
    USER_POOLS: z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object' })
          return z.NEVER
        }
      })
      .pipe(z.record(z.string().regex(POOL_ID, 'pool ids are [a-z0-9-]{1,32}'), PoolSettings))
      .default({}),
  })
  .superRefine((c, ctx) => {
    if (!c.JWT_PRIVATE_KEYS && !c.JWT_SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['JWT_PRIVATE_KEYS'], message: 'set JWT_PRIVATE_KEYS (or JWT_SECRET_KEY)' })
    }
    // 128 * N * r bytes must fit next to everything else in a 128 MB isolate.
    if (128 * 2 ** c.SCRYPT_LOG_N * c.SCRYPT_R > 64 * 1024 * 1024) {
      ctx.addIssue({ code: 'custom', path: ['SCRYPT_LOG_N'], message: 'scrypt memory (128·N·r) must stay ≤ 64 MiB' })
    }
    // Each provider's credentials are required only when it is the one selected.
    const need = (when: boolean, provider: string, keys: (keyof typeof c)[]) => {
      for (const key of when ? keys : []) {
        if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: `required when ${provider}` })
      }
    }
    // SPEC §8: console is the default in development only; a production without a provider would
    // answer "code sent" and send nothing.
    if (c.ENVIRONMENT === 'production') {
      for (const key of ['SMS_PROVIDER', 'EMAIL_PROVIDER'] as const) {
        if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required in production (console only by choice)' })
      }
    }
    const sms: string[] = [c.SMS_PROVIDER ?? 'console', c.SMS_FALLBACK_PROVIDER ?? '']
    need(sms.includes('twilio'), 'SMS_PROVIDER=twilio', ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'])
    if (sms.includes('twilio') && !c.TWILIO_PHONE_NUMBER && !c.TWILIO_MESSAGING_SERVICE_SID) {
      ctx.addIssue({
        code: 'custom',
        path: ['TWILIO_PHONE_NUMBER'],
        message: 'set TWILIO_PHONE_NUMBER or TWILIO_MESSAGING_SERVICE_SID',
      })
    }
    need(sms.includes('infobip'), 'SMS_PROVIDER=infobip', ['INFOBIP_BASE_URL', 'INFOBIP_API_KEY', 'INFOBIP_SENDER'])
    need(sms.includes('vonage'), 'SMS_PROVIDER=vonage', ['VONAGE_API_KEY', 'VONAGE_API_SECRET', 'VONAGE_FROM'])
    need(sms.includes('fast2sms'), 'SMS_PROVIDER=fast2sms', ['FAST2SMS_API_KEY'])
    need(sms.includes('fast2sms') && c.FAST2SMS_ROUTE === 'dlt_manual', 'FAST2SMS_ROUTE=dlt_manual', ['FAST2SMS_SENDER_ID'])
    // SPEC §8: Fast2SMS reaches Indian numbers only; alone, it may only serve a deployment that
    // accepts nothing else (the others would register and never get their code).
    const indiaOnly = c.ALLOWED_COUNTRIES.length === 1 && c.ALLOWED_COUNTRIES[0] === 'IN'
    if (c.SMS_PROVIDER === 'fast2sms' && !c.SMS_FALLBACK_PROVIDER && !indiaOnly) {
      ctx.addIssue({
        code: 'custom',
        path: ['ALLOWED_COUNTRIES'],
        message: 'SMS_PROVIDER=fast2sms sends to Indian numbers only: set ALLOWED_COUNTRIES=IN, or an SMS_FALLBACK_PROVIDER',
      })
    }
    if (c.SMS_FALLBACK_PROVIDER && c.SMS_FALLBACK_PROVIDER === c.SMS_PROVIDER) {
      ctx.addIssue({ code: 'custom', path: ['SMS_FALLBACK_PROVIDER'], message: 'must differ from SMS_PROVIDER' })
    }
    if (!c.LOCALES.includes(c.DEFAULT_LOCALE)) {
      ctx.addIssue({ code: 'custom', path: ['DEFAULT_LOCALE'], message: `must be one of LOCALES (${c.LOCALES.join(', ')})` })
    }
    // Every web origin must be able to use the RP ID (a browser refuses the ceremony otherwise).
    const rpId = c.WEBAUTHN_RP_ID ?? new URL(c.PUBLIC_URL).hostname
    for (const origin of c.WEBAUTHN_ORIGINS ?? []) {
      if (!origin.startsWith('android:') && !hostUnderRpId(new URL(origin).hostname, rpId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['WEBAUTHN_ORIGINS'],
          message: `${origin} is not on WEBAUTHN_RP_ID ${rpId} or a subdomain of it`,
        })
      }
    }
    need(c.EMAIL_PROVIDER === 'resend', 'EMAIL_PROVIDER=resend', ['RESEND_API_KEY'])
    need(c.EMAIL_PROVIDER === 'sendgrid', 'EMAIL_PROVIDER=sendgrid', ['SENDGRID_API_KEY'])
    for (const [key, message] of c.EMAIL_PROVIDER === 'smtp' ? smtpIssues(c) : []) {
      ctx.addIssue({ code: 'custom', path: [key], message })
    }
  })
  .transform((c) => ({
    ...c,
    SMS_PROVIDER: c.SMS_PROVIDER ?? 'console',
    EMAIL_PROVIDER: c.EMAIL_PROVIDER ?? 'console',
    WEBAUTHN_RP_ID: c.WEBAUTHN_RP_ID ?? new URL(c.PUBLIC_URL).hostname,
    WEBAUTHN_ORIGINS: c.WEBAUTHN_ORIGINS ?? [new URL(c.PUBLIC_URL).origin],
    ...smtpDefaults(c),
  }))

/** SMTP_PORT 587 unless set; SMTP_SECURE by the port unless set: 465 is implicit TLS, others STARTTLS. */
function smtpDefaults(c: { SMTP_PORT?: number | undefined; SMTP_SECURE?: 'tls' | 'starttls' | 'none' | undefined }) {
  const port = c.SMTP_PORT ?? 587
  return { SMTP_PORT: port, SMTP_SECURE: c.SMTP_SECURE ?? (port === 465 ? 'tls' : 'starttls') }
}

type SmtpVars = {
  [K in 'ENVIRONMENT' | 'SMTP_HOST' | 'SMTP_PORT' | 'SMTP_SECURE' | 'SMTP_USERNAME' | 'SMTP_PASSWORD']?: string | number
}

/** What is wrong with EMAIL_PROVIDER=smtp's settings, as [key, message] pairs. */
function smtpIssues(c: SmtpVars): [string, string][] {
  const issues: [string, string][] = []
  if (!c.SMTP_HOST) issues.push(['SMTP_HOST', 'required when EMAIL_PROVIDER=smtp'])
  // Cloudflare blocks outbound port 25: submission is 587 (STARTTLS) or 465 (TLS).
  if (c.SMTP_PORT === 25) issues.push(['SMTP_PORT', 'port 25 is blocked for Workers: use 587 or 465'])
  if (!c.SMTP_USERNAME !== !c.SMTP_PASSWORD) issues.push(['SMTP_PASSWORD', 'set SMTP_USERNAME and SMTP_PASSWORD together'])
  if (c.SMTP_SECURE === 'none' && c.ENVIRONMENT === 'production') {
    issues.push(['SMTP_SECURE', 'none is for a local mail catcher in development: use tls or starttls'])
  }
  if (c.SMTP_SECURE === 'none' && c.SMTP_USERNAME) issues.push(['SMTP_SECURE', 'credentials are never sent without TLS'])
  return issues
}

export type Config = z.output<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const cache = new WeakMap<object, Config>()

/**
 * Parses the Worker's env once per isolate (cached by the env object's identity). A missing or
 * invalid setting throws a ConfigError naming every bad key, never a half-configured service.
 */
export function loadConfig(env: object): Config {
  const hit = cache.get(env)
  if (hit) return hit
  // Empty strings mean "unset" (wrangler --var NAME: and blank .dev.vars lines).
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string' && v !== ''))
  const parsed = ConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new ConfigError(`invalid configuration: ${problems}`)
  }
  cache.set(env, parsed.data)
  return parsed.data
}
