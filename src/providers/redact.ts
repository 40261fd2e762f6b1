/**
 * A message as the console providers may log it in production (SPEC §5: "the code is never
 * logged in production"): one-time codes (4–10 digits) and link tokens are masked.
 */
export function redactSecrets(text: string): string {
  return text.replace(/\b\d{4,10}\b/g, '[code]').replace(/([?&]token=)[^\s&"'<>]+/g, '$1[redacted]')
}
