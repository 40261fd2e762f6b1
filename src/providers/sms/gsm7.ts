/**
 * The GSM 03.38 alphabet of a text message: its default table (one septet a character) and the
 * extension table (an escape and one more: two). A text with any other character (Arabic, ç, ê,
 * a typographic apostrophe) is sent in UCS-2, 70 characters a segment instead of 160.
 */
export const GSM7_BASIC: ReadonlySet<string> = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
)
export const GSM7_EXTENSION: ReadonlySet<string> = new Set('\f^{}\\[~]|€')

/** Whether `text` can go in GSM-7 (else it needs UCS-2). */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7_BASIC.has(ch) && !GSM7_EXTENSION.has(ch)) return false
  return true
}
