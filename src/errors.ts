/** SPEC §9: stable machine codes and the HTTP status each one answers. */
export const ERRORS = {
  validation_error: 400,
  invalid_json: 400,
  invalid_code: 400,
  phone_country_not_allowed: 400,
  turnstile_failed: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_token: 401,
  refresh_token_reused: 401,
  forbidden: 403,
  unverified_account: 403,
  account_disabled: 403,
  // Not in SPEC §9: EMAIL_VERIFICATION=required refuses an email its holder has not verified (§13).
  email_not_verified: 403,
  reauthentication_required: 403,
  // SPEC §14: a second factor is due (sign-in: the body carries `mfa_token` and `methods`), or a
  // role of MFA_REQUIRED_ROLES calls a staff or admin route with a token signed in without one.
  mfa_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  // Not in SPEC §9: POST /me/mfa/totp while TOTP is on (turn it off first, with a second factor).
  mfa_already_enabled: 409,
  phone_taken: 409,
  email_taken: 409,
  username_taken: 409,
  device_taken: 409,
  // Not in SPEC §9: a WebAuthn credential id registered already (to anyone), §14.
  passkey_taken: 409,
  refresh_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  otp_cooldown: 429,
  rate_limited: 429,
  internal_error: 500,
  sms_delivery_failed: 503,
  email_delivery_failed: 503,
} as const

export type ErrorCode = keyof typeof ERRORS

/** `Retry-After` seconds for a wait of `ms`: whole seconds, at least 1 (a 0 would invite a retry storm). */
export const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

export interface ErrorExtra {
  /** Per-field messages of a validation error. */
  fields?: Record<string, string>
  /** Seconds until a limited request may be retried (sets `Retry-After`). */
  retryAfter?: number
  /** The permission a 403 `forbidden` lacked (the `scope` of its `WWW-Authenticate: Bearer` challenge). */
  permission?: string
  /** The second step of a sign-in (403 `mfa_required`, SPEC §14): its token and the factors that meet it. */
  mfa?: MfaChallenge
}

/** What a 403 `mfa_required` of a sign-in carries (SPEC §14). */
export interface MfaChallenge {
  mfa_token: string
  /** `totp`, `recovery_code`, `passkey`: the second factors this user has. */
  methods: string[]
  /** Seconds the token lives. */
  expires_in: number
}

/** The one error type services throw; rendered by `renderError` into the spec's body. */
export class AppError extends Error {
  override name = 'AppError'
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(detail)
  }

  get status(): (typeof ERRORS)[ErrorCode] {
    return ERRORS[this.code]
  }
}

/** 415 of the token endpoint: RFC 6749 §4.3.2, its parameters are a form. */
export const formOnly = () => new AppError('unsupported_media_type', 'Send the parameters as application/x-www-form-urlencoded')

/** The realm of every `WWW-Authenticate` challenge (RFC 7235 §2.2). */
export const REALM = 'edge-auth'

/** 401 `invalid_token`: the access token is bad, or its user or session is gone (one wording everywhere). */
export const invalidAccessToken = () => new AppError('invalid_token', 'The access token is invalid, expired or revoked')

/**
 * The `error` codes `POST /auth/token` answers: RFC 6749 §5.2's, plus the three it borrows for
 * what §5.2 has no code for (README, "The OAuth 2.0 token endpoint"): `slow_down` (RFC 8628 §3.5)
 * for a 429 request limit or lockout, `server_error` and `temporarily_unavailable` (RFC 6749
 * §4.1.2.1) for a 500 and a 503.
 */
export type OAuthErrorCode =
  | 'mfa_required'
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'slow_down'
  | 'server_error'
  | 'temporarily_unavailable'
  // The OpenID Provider's endpoints (SPEC §15): RFC 6749 §4.1.2.1, RFC 6750 §3.1, RFC 7009 §2.2.1.
  | 'invalid_scope'
  | 'unsupported_response_type'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_token_type'

export interface OAuthErrorExtra {
  /** The HTTP status, when not RFC 6749's 400 (401 for `invalid_client`). */
  status?: number
  /** `WWW-Authenticate` (RFC 6749 §5.2: the scheme a refused `Authorization` header used). */
  challenge?: string
  /** The second step of a password grant (SPEC §14): `mfa_token` and `methods`, in the body. */
  mfa?: MfaChallenge
}

/**
 * An error of `POST /auth/token`, rendered as RFC 6749 `{ error, error_description }`; the
 * password grant's `mfa_required` (SPEC §14) is a 403 that also carries `mfa_token` and `methods`.
 */
export class OAuthError extends Error {
  override name = 'OAuthError'
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly extra: OAuthErrorExtra = {},
  ) {
    super(description)
  }

  get status(): number {
    if (this.error === 'mfa_required') return 403
    return this.extra.status ?? (this.error === 'invalid_client' ? 401 : 400)
  }
}
