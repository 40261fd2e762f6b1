import type { E164 } from '../../services/identifiers'

/** One SMS provider. Implementations throw on any failure; callers decide on retries. */
export interface SmsSender {
  readonly name: string
  send(to: E164, text: string): Promise<void>
}
