export { checkOtp, consumeOtp, guessCode, refusal, verifyOtp } from './check'
export type { Channel, DeliveryExtras, Destination, OtpPurpose, Reservation } from './otp'
export { deliverOtp, releaseOtp, reserveOtp, reserveOtpForRequest, reserveWith, storeUnsentOtp } from './otp'
