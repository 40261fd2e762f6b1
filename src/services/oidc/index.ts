export type { AuthorizationRequest } from './authorization-request'
export { openRequest, REQUEST_TTL_MS, sealRequest } from './authorization-request'
