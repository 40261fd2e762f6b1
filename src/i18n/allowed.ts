import type { Config, Locale } from '../config'
import { AppError } from '../errors'

/**
 * A locale a request names (the `locale` of a sign-up or a profile change) if LOCALES has it,
 * else 400 `validation_error` on `locale`: an account only ever chooses a language this
 * deployment speaks. (A stored one LOCALES dropped later falls back to DEFAULT_LOCALE: `accountLocale`.)
 */
export function allowedLocale(config: Pick<Config, 'LOCALES'>, locale: Locale): Locale {
  if (config.LOCALES.includes(locale)) return locale
  throw new AppError('validation_error', 'Request validation failed', {
    fields: { locale: `Must be one of: ${config.LOCALES.join(', ')}` },
  })
}
