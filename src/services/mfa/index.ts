export { confirmTotp, disableTotp, mfaStatus, startTotpEnrolment } from './totp'
