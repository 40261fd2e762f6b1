import { DeliveryError, expectOk, postToProvider } from '../delivery'
import type { SmsSender } from './sender'

export interface Fast2smsConfig {
  apiBase: string
  apiKey: string
  /**
   * `q` (Quick SMS: any text, Fast2SMS picks a numeric sender) or `dlt_manual` (DLT SMS: the text
   * must match a template registered in Fast2SMS's DLT manager, sent from `senderId`).
   */
  route: 'q' | 'dlt_manual'
  /** The 3–6 letter DLT-approved sender ID (route `dlt_manual` only). */
  senderId?: string | undefined
}

/** An Indian mobile in E.164: +91 and ten digits starting 6–9 (the only numbers Fast2SMS reaches). */
const INDIAN_MOBILE = /^\+91([6-9]\d{9})$/

/**
 * Fast2SMS bulkV2 (seed 004): JSON POST to /dev/bulkV2 with the API key as the `authorization`
 * header. `numbers` is the national ten-digit number, without +91.
 *
 * Fast2SMS delivers to Indian numbers only: another number is refused here, before any request,
 * with a DeliveryError (SMS_FALLBACK_PROVIDER, when set, then sends it). Fast2SMS may answer 200
 * with `"return": false`; that is a failure too, reported by its numeric `status_code` only
 * (its `message` is never echoed).
 */
export function fast2smsSmsSender(cfg: Fast2smsConfig, fetchFn: typeof fetch = fetch): SmsSender {
  const url = `${cfg.apiBase.replace(/\/$/, '')}/dev/bulkV2`
  return {
    name: 'fast2sms',
    async send(to, text) {
      const national = INDIAN_MOBILE.exec(to)?.[1]
      if (!national) throw new DeliveryError('fast2sms sends to Indian (+91) mobile numbers only')
      const body =
        cfg.route === 'dlt_manual'
          ? { route: 'dlt_manual', sender_id: cfg.senderId ?? '', message: text, numbers: national }
          : // `unicode` for anything beyond ASCII (Hindi, Arabic, accents), else GSM `english`.
            { route: 'q', message: text, language: /^[\x20-\x7e\n]*$/.test(text) ? 'english' : 'unicode', numbers: national }
      const res = await postToProvider(fetchFn, { url, body, authorization: cfg.apiKey })
      if (!res.ok) return await expectOk('fast2sms', res) // throws: a non-2xx answer
      const failed = failedStatus(await res.json().catch(() => null))
      if (failed !== undefined) throw new DeliveryError(`fast2sms answered status ${failed}`)
    },
  }
}

/** Fast2SMS's `status_code` (digits only, else "unknown") unless the body says `"return": true`. */
function failedStatus(body: unknown): string | undefined {
  const answer = body as { return?: unknown; status_code?: unknown } | null
  if (answer?.return === true) return undefined
  const status = String(answer?.status_code ?? '')
  return /^\d{1,4}$/.test(status) ? status : 'unknown'
}
