import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { z } from 'zod'
import type { Locale } from '../config'
import type { AppEnv } from '../env'
import { AppError } from '../errors'
import { chooseLocale } from '../i18n/locale'
import { SECURITY } from '../schemas/fields'
import type { Actor } from '../services/iam'
import type { ClientInfo } from '../services/sessions'

/** Field -> message for a failed zod parse; unknown keys are named one by one. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[[...issue.path, key].join('.')] ??= 'Unknown field'
    } else {
      fields[issue.path.join('.') || 'body'] ??= issue.message
    }
  }
  return fields
}

/** A router whose validation failures are the spec's 400 `validation_error` with `fields`. */
export function newRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError('validation_error', 'Request validation failed', { fields: fieldErrors(result.error) })
      }
    },
  })
}

/** Who is calling, for sessions and limits: CF-Connecting-IP only (X-Forwarded-For is forgeable). */
export function clientInfo(c: Context<AppEnv>): ClientInfo {
  return { ip: c.req.header('cf-connecting-ip') ?? 'unknown', userAgent: c.req.header('user-agent') ?? null }
}

/**
 * The language a request asks for (SPEC §15): the one its body names (the service checks it
 * against LOCALES), else the best of Accept-Language that LOCALES has, else DEFAULT_LOCALE.
 */
export function requestLocale(c: Context<AppEnv>, named: Locale | undefined): Locale {
  return named ?? chooseLocale(c.var.deps.config, { acceptLanguage: c.req.header('accept-language') })
}

export const NO_STORE = { 'cache-control': 'no-store' } as const

/** The caller as the services' hierarchy rules see it. */
export function actorOf(c: Context<AppEnv>): Actor {
  return { id: c.var.auth.userId, role: c.var.auth.role }
}

type RouteSpec = Omit<RouteConfig, 'method' | 'path' | 'tags' | 'security'>

/**
 * Route declarations of one router, its tags filled in: `route('get', '/', { summary, responses })`,
 * and `signedIn(…)` for those that take a bearer token (documented with SECURITY).
 */
export function routesOf(tags: string[]) {
  return {
    route: <M extends RouteConfig['method'], P extends string, S extends RouteSpec>(method: M, path: P, spec: S) =>
      createRoute({ tags, ...spec, method, path }),
    signedIn: <M extends RouteConfig['method'], P extends string, S extends RouteSpec>(method: M, path: P, spec: S) =>
      createRoute({ tags, security: SECURITY, ...spec, method, path }),
  }
}
