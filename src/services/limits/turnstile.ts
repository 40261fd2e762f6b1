import type { Config } from '../../config'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { turnstileVerifier } from '../../providers/turnstile'

/** Whether the bot defence of SPEC §5 is on (TURNSTILE_SECRET_KEY set). */
export const turnstileEnabled = (config: Config): boolean => config.TURNSTILE_SECRET_KEY !== undefined

/** Whether Turnstile accepts `token` from `ip`; false whenever the defence is off (nothing to pass). */
export function turnstileAccepts(deps: Deps, token: string, ip: string): Promise<boolean> {
  const secretKey = deps.config.TURNSTILE_SECRET_KEY
  if (secretKey === undefined) return Promise.resolve(false)
  // `fetch` looked up per call, so tests can stub it.
  const verifier = turnstileVerifier({ apiBase: deps.config.TURNSTILE_API_BASE, secretKey }, (i, init) => fetch(i, init))
  return verifier.verify(token, ip)
}

/** 400 `turnstile_failed` unless the defence is off or `token` is accepted. */
export async function assertHuman(deps: Deps, token: unknown, ip: string): Promise<void> {
  if (!turnstileEnabled(deps.config)) return
  const ok = typeof token === 'string' && token !== '' && token.length <= 2048 && (await turnstileAccepts(deps, token, ip))
  if (!ok) throw new AppError('turnstile_failed', 'The bot check (turnstile_token) is missing or was not accepted')
}
