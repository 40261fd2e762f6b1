/** Why a record is refused: one sentence naming the field; reported with the record's line number. */
export class RecordProblem extends Error {
  override name = 'RecordProblem'
}

export const problem = (message: string) => new RecordProblem(message)

// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/** A value of the file as a reason quotes it: at most 40 characters, control characters (terminal escapes) as `?`. */
export function shown(value: string): string {
  const short = [...value].length > 40 ? `${[...value].slice(0, 40).join('')}…` : value
  return `'${short.replace(CONTROL, '?')}'`
}
