/** Why a record is refused: one sentence naming the field; reported with the record's line number. */
export class RecordProblem extends Error {
  override name = 'RecordProblem'
}

export const problem = (message: string) => new RecordProblem(message)
