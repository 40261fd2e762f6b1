/** Vars that send texts through Twilio, at the origin of a `fakeFetch('https://twilio.test')`. */
export const TWILIO = {
  SMS_PROVIDER: 'twilio',
  TWILIO_API_BASE: 'https://twilio.test',
  TWILIO_ACCOUNT_SID: 'AC123',
  TWILIO_AUTH_TOKEN: 'secret',
  TWILIO_PHONE_NUMBER: '+15005550006',
}

/** The code of a text as a provider received it (SPEC §8's wording); throws when there is none. */
export function codeIn(text: string | null | undefined): string {
  const code = /^Your edge-auth [a-z ]+ is (\d{6})\. Valid for 10 minutes\.$/.exec(text ?? '')?.[1]
  if (!code) throw new Error(`no code in ${text}`)
  return code
}
