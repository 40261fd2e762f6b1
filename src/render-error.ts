import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ConfigError } from './config'
import { AppError, type ErrorCode, OAuthError } from './errors'
import { log } from './log'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: 'validation_error',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/** Turns anything thrown into an AppError; unknown failures are logged here and hidden. */
export function toAppError(err: unknown, requestId: string): AppError {
  if (err instanceof AppError) return err
  if (err instanceof HTTPException && HTTP_EXCEPTION_CODES[err.status]) {
    const code = HTTP_EXCEPTION_CODES[err.status] as ErrorCode
    return new AppError(code, err.status === 415 ? 'Send the body as application/json' : err.message || 'Request refused')
  }
  if (err instanceof ConfigError) {
    log.fatal(err.message, { request_id: requestId })
    return new AppError('internal_error', 'The service is misconfigured')
  }
  const e = err instanceof Error ? err : new Error(String(err))
  log.error('unhandled error', { request_id: requestId, error: e.name, stack: e.stack })
  return new AppError('internal_error', 'Something went wrong on our side')
}

/** The only place an error body is built (SPEC §3, RFC 9457 problem details plus our members). */
export function renderError(c: Context, err: unknown): Response {
  const requestId = (c.get('requestId') as string | undefined) ?? ''
  if (err instanceof OAuthError) {
    return new Response(JSON.stringify({ error: err.error, error_description: err.description, ...err.mfa }), {
      status: err.status,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', 'x-request-id': requestId },
    })
  }
  const e = toAppError(err, requestId)
  const body = {
    type: 'about:blank',
    title: TITLES[e.status] ?? 'Error',
    status: e.status,
    error: e.code,
    detail: e.detail,
    ...(e.extra.fields ? { fields: e.extra.fields } : {}),
    ...e.extra.mfa,
    request_id: requestId,
  }
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    'x-request-id': requestId,
  }
  if (e.extra.retryAfter !== undefined) headers['retry-after'] = String(e.extra.retryAfter)
  return new Response(JSON.stringify(body), { status: e.status, headers })
}
