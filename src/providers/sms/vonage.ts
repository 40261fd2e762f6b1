import { DeliveryError, expectOk, postToProvider } from '../delivery'
import { isGsm7 } from './gsm7'
import { msisdn, type SmsSender } from './sender'

export interface VonageConfig {
  apiBase: string
  apiKey: string
  apiSecret: string
  /** A number (a leading '+' is dropped) or an alphanumeric sender ID. */
  from: string
}

/**
 * Vonage (Nexmo) SMS API: form POST to /sms/json with the key and secret in the form. Numbers are
 * E.164 digits without the '+' (`447700900000`), as in Vonage's examples. A text outside the
 * GSM 03.38 alphabet (an Arabic one) goes with `type=unicode`: Vonage's SMS API does not detect it
 * and would send the characters it cannot encode as question marks.
 *
 * Vonage answers 200 even when it refuses a message: every `messages[].status` must be "0". Only
 * the status code goes into the error; `error-text` and the rest of the body are never echoed.
 */
export function vonageSmsSender(cfg: VonageConfig, fetchFn: typeof fetch = fetch): SmsSender {
  const url = `${cfg.apiBase.replace(/\/$/, '')}/sms/json`
  return {
    name: 'vonage',
    async send(to, text) {
      const form = new URLSearchParams({
        api_key: cfg.apiKey,
        api_secret: cfg.apiSecret,
        from: msisdn(cfg.from),
        to: msisdn(to),
        text,
      })
      if (!isGsm7(text)) form.set('type', 'unicode')
      const res = await postToProvider(fetchFn, { url, body: form })
      if (!res.ok) return await expectOk('vonage', res) // throws: a non-2xx answer
      const failed = failedStatus(await res.json().catch(() => null))
      if (failed !== undefined) throw new DeliveryError(`vonage answered status ${failed}`)
    },
  }
}

/** The first non-"0" message status (digits only, else "unknown"), or undefined when all are "0". */
function failedStatus(body: unknown): string | undefined {
  const messages = (body as { messages?: unknown } | null)?.messages
  if (!Array.isArray(messages) || messages.length === 0) return 'unknown'
  for (const m of messages) {
    const status = String((m as { status?: unknown } | null)?.status ?? '')
    if (status !== '0') return /^\d{1,4}$/.test(status) ? status : 'unknown'
  }
  return undefined
}
