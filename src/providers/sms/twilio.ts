import { expectOk, postToProvider } from '../delivery'
import type { SmsSender } from './sender'

export interface TwilioConfig {
  apiBase: string
  accountSid: string
  authToken: string
  from?: string | undefined
  messagingServiceSid?: string | undefined
}

/** Twilio Programmable Messaging: form POST to Messages.json with HTTP Basic SID:token. */
export function twilioSmsSender(cfg: TwilioConfig, fetchFn: typeof fetch = fetch): SmsSender {
  const url = `${cfg.apiBase.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(cfg.accountSid)}/Messages.json`
  const authorization = `Basic ${btoa(`${cfg.accountSid}:${cfg.authToken}`)}`
  return {
    name: 'twilio',
    async send(to, text) {
      const form = new URLSearchParams({ To: to, Body: text })
      if (cfg.messagingServiceSid) form.set('MessagingServiceSid', cfg.messagingServiceSid)
      else if (cfg.from) form.set('From', cfg.from)
      const res = await postToProvider(fetchFn, { url, body: form, authorization })
      await expectOk('twilio', res)
    },
  }
}
