export type { IntentEndpoint, RequestCounter, RequestGroup } from './requests'
export {
  assertUnderRequestLimit,
  groupOf,
  ipBucket,
  limited,
  limitIpRequests,
  REQUEST_LIMITS,
  requestCounter,
  routeCountedGroup,
} from './requests'
export { assertSmsBudget, assertSmsRangeLimits, refundSms, refundSmsBudget, SMS_CHARGE_WINDOW_MS, smsChargeKeys } from './sms'
export { assertHuman, turnstileAccepts } from './turnstile'
