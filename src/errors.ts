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
  not_found: 404,
  method_not_allowed: 405,
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

/** RFC 6749 §5.2 error codes of the OAuth 2.0 token endpoint. */
/** 401 `invalid_token`: the access token is bad, or its user or session is gone (one wording everywhere). */
export const invalidAccessToken = () => new AppError('invalid_token', 'The access token is invalid, expired or revoked')

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'

/** An error of `POST /auth/token`, rendered as RFC 6749 `{ error, error_description }`. */
export class OAuthError extends Error {
  override name = 'OAuthError'
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description)
  }

  get status(): 400 | 401 {
    return this.error === 'invalid_client' ? 401 : 400
  }
}
