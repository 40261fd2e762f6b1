import { expectOk, postToProvider } from '../delivery'
import { msisdn, type SmsSender } from './sender'

export interface InfobipConfig {
  /** The account's personal base URL, e.g. `https://xxxxx.api.infobip.com`. */
  baseUrl: string
  apiKey: string
  /** Alphanumeric sender ID or a number (a leading '+' is dropped). */
  sender: string
}

/**
 * Infobip SMS API v2: JSON POST to /sms/2/text/advanced with `Authorization: App <key>`.
 * Destinations are E.164 digits without the '+' (`41793026727`), as in Infobip's examples.
 */
export function infobipSmsSender(cfg: InfobipConfig, fetchFn: typeof fetch = fetch): SmsSender {
  const url = `${cfg.baseUrl.replace(/\/$/, '')}/sms/2/text/advanced`
  const authorization = `App ${cfg.apiKey}`
  return {
    name: 'infobip',
    async send(to, text) {
      const body = { messages: [{ destinations: [{ to: msisdn(to) }], from: msisdn(cfg.sender), text }] }
      const res = await postToProvider(fetchFn, { url, body, authorization })
      await expectOk('infobip', res)
    },
  }
}
