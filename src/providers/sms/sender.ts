import type { E164 } from '../../services/identifiers'

/** One SMS provider. Implementations throw on any failure; callers decide on retries. */
export interface SmsSender {
  readonly name: string
  send(to: E164, text: string): Promise<void>
}

/**
 * A phone number as Infobip and Vonage spell it: E.164 digits without the leading '+'
 * (`+21698765432` → `21698765432`, as in both providers' API examples). Alphanumeric sender IDs
 * (`Acme`) are returned unchanged.
 */
export function msisdn(number: string): string {
  return /^\+\d+$/.test(number) ? number.slice(1) : number
}
