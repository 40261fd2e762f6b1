export type { AuthorizationRequest } from './authorization-request'
export { openRequest, REQUEST_TTL_MS, sealRequest } from './authorization-request'
export type { RequestView } from './consent'
export { denyRequest, describeRequest, errorRedirect, grantConsent, hasConsent } from './consent'
