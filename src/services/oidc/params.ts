import { OAuthError } from '../../errors'

/** A request's parameters: the query of a GET, the form of a POST (a repeated one arrives as an array). */
export type Params = Record<string, string | File | (string | File)[]>

/**
 * One parameter, or undefined when absent or empty (RFC 6749 §3.1: an empty parameter is an
 * omitted one); a repeated one is `invalid_request` (taking either copy would be a guess).
 */
export function param(params: Params, name: string, max = 2048): string | undefined {
  const value = params[name]
  if (Array.isArray(value)) {
    if (value.length > 1) throw new OAuthError('invalid_request', `Repeated parameter: ${name}`)
    return param({ [name]: value[0] as string | File }, name, max)
  }
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be text`)
  if (value.length > max) throw new OAuthError('invalid_request', `${name} is too long`)
  return value
}

/** A parameter that must be there: 400 `invalid_request` naming it otherwise. */
export function required(params: Params, name: string, max?: number): string {
  const value = param(params, name, max)
  if (value === undefined) throw new OAuthError('invalid_request', `Missing parameter: ${name}`)
  return value
}
