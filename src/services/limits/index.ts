export type { RequestCounter } from './requests'
export { assertUnderRequestLimit, ipBucket, limited, limitIpRequests, requestCounter } from './requests'
export { assertSmsBudget, assertSmsRangeLimits, refundSms, refundSmsBudget, SMS_CHARGE_WINDOW_MS, smsChargeKeys } from './sms'
export { assertHuman, turnstileAccepts } from './turnstile'
