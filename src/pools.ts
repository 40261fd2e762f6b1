import type { Config, PoolSettings } from './config'

export const DEFAULT_POOL = 'default'

/** Who a request serves (SPEC §12): the pool, its token issuer, and where its routes live. */
export interface Pool {
  id: string
  /** `JWT_ISSUER` for `default`, `JWT_ISSUER/pools/<id>` for the others. */
  issuer: string
  /** `/api/v1` for `default`, `/api/v1/pools/<id>` for the others: the base of its links. */
  basePath: string
}

// The global var each pool setting overrides.
const OVERRIDES = {
  app_name: 'APP_NAME',
  end_user_roles: 'END_USER_ROLES',
  otp_signup: 'OTP_SIGNUP',
  password_min_length: 'PASSWORD_MIN_LENGTH',
  password_require_classes: 'PASSWORD_REQUIRE_CLASSES',
  default_country: 'DEFAULT_COUNTRY',
  allowed_countries: 'ALLOWED_COUNTRIES',
  access_token_expire_minutes: 'ACCESS_TOKEN_EXPIRE_MINUTES',
  refresh_token_expire_days: 'REFRESH_TOKEN_EXPIRE_DAYS',
  email_verification: 'EMAIL_VERIFICATION',
} as const satisfies Record<keyof PoolSettings, keyof Config>

/** The pools a deployment serves: `default` always, plus those of USER_POOLS. */
export function poolIds(config: Config): string[] {
  return [...new Set([DEFAULT_POOL, ...Object.keys(config.USER_POOLS)])]
}

/** Whether `id` names a pool of this deployment. */
export function isPool(config: Config, id: string): boolean {
  return id === DEFAULT_POOL || Object.hasOwn(config.USER_POOLS, id)
}

export function poolOf(config: Config, id: string): Pool {
  const own = id !== DEFAULT_POOL
  return {
    id,
    issuer: own ? `${config.JWT_ISSUER.replace(/\/$/, '')}/pools/${id}` : config.JWT_ISSUER,
    basePath: own ? `/api/v1/pools/${id}` : '/api/v1',
  }
}

/**
 * The configuration a pool's requests run with: the global one, its settings applied over the
 * vars they name and `JWT_ISSUER` set to the pool's issuer, so every rule that reads a var reads
 * the pool's value. The same object for `default` without settings (nothing changes there).
 */
export function poolConfig(config: Config, id: string): Config {
  const settings = config.USER_POOLS[id] ?? {}
  const overrides: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(settings)) {
    if (value !== undefined) overrides[OVERRIDES[key as keyof PoolSettings]] = value
  }
  if (id === DEFAULT_POOL && Object.keys(overrides).length === 0) return config
  return { ...config, ...overrides, JWT_ISSUER: poolOf(config, id).issuer }
}

/** A lockout or failure counter's key in a pool: `default`'s unchanged, another's prefixed (they never cross pools). */
export const poolKey = (pool: Pool, key: string) => (pool.id === DEFAULT_POOL ? key : `${pool.id}/${key}`)
