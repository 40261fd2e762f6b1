/**
 * A message as the console providers may log it in production (SPEC §5: "the code is never
 * logged in production"): one-time codes (4–10 digits) and link tokens are masked.
 */
export function redactSecrets(text: string): string {
  return text.replace(/\b\d{4,10}\b/g, '[code]').replace(/([?&]token=)[^\s&"'<>]+/g, '$1[redacted]')
}

/** How a console provider writes: to `log` (console.log), masked with `redact` (ENVIRONMENT=production). */
export interface ConsoleOptions {
  redact?: boolean
  log?: (line: string) => void
}

/** Writes `head` then the message, masked when `redact` is set. */
export const consoleWriter =
  ({ redact = false, log = (line) => console.log(line) }: ConsoleOptions) =>
  (head: string, text: string) =>
    log(`${head}${redact ? redactSecrets(text) : text}`)
