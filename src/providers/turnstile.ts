import { postToProvider } from './delivery'

export interface TurnstileConfig {
  apiBase: string
  secretKey: string
}

/** Cloudflare Turnstile's server-side check of a widget token. */
export interface TurnstileVerifier {
  /** Whether siteverify accepted `token` for a client at `remoteIp`; false on any failure (fail closed). */
  verify(token: string, remoteIp: string): Promise<boolean>
}

/**
 * Turnstile siteverify: form POST of `secret`, `response` and `remoteip` to
 * {base}/turnstile/v0/siteverify; the JSON answer's `success` must be `true`. A timeout (5 s),
 * a non-2xx answer or an unreadable body is a refusal: a bot check that cannot be made is not passed.
 */
export function turnstileVerifier(cfg: TurnstileConfig, fetchFn: typeof fetch = fetch): TurnstileVerifier {
  const url = `${cfg.apiBase.replace(/\/$/, '')}/turnstile/v0/siteverify`
  return {
    async verify(token, remoteIp) {
      const form = new URLSearchParams({ secret: cfg.secretKey, response: token })
      if (remoteIp !== 'unknown') form.set('remoteip', remoteIp)
      try {
        const res = await postToProvider(fetchFn, { url, body: form })
        if (!res.ok) {
          await res.body?.cancel()
          return false
        }
        const body = (await res.json().catch(() => null)) as { success?: unknown } | null
        return body?.success === true
      } catch {
        return false
      }
    },
  }
}
