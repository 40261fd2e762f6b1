export { confirmPhone, requestPhoneVerification } from './contact-change'
export { addDevice, listDevices, removeDevice } from './devices'
export {
  confirmEmailCode,
  confirmEmailLink,
  createLink,
  invalidLink,
  requestEmailVerification,
  resetLinkIsLive,
  resetWithLink,
  sendNotice,
  verifyLinkIsLive,
} from './email-links'
export { deleteMe, getMe, updateMe } from './me'
export { type RegisterInput, type RegisterResult, register } from './register'
export type { UserView } from './view'
export { toUserView } from './view'
export { welcomeIfNew } from './welcome'
