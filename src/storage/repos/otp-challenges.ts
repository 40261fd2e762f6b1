// One-time code challenges in D1 (SPEC §5): the conditions a guess is judged by, the reservation
// under the send limits, and the repository. Split by job under otp-challenges/.
export type { GuessInput, Value } from './otp-challenges/conditions'
export { boundToHolder, holderOf, holderValues, liveChallenge } from './otp-challenges/conditions'
export type { OtpChallengesRepo } from './otp-challenges/repo'
export { otpChallengesRepo } from './otp-challenges/repo'
export type { Refusal, RequestLimit, ReserveInput, ReserveResult } from './otp-challenges/reserve'
