export { checkPassword, type PasswordCheck, type PasswordRehash, scryptParams, upgradedHash } from './check'
export { assertPasswordAllowed, PASSWORD_MAX_LENGTH, passwordProblem } from './policy'
export { changePassword, confirmPasswordReset, requestPasswordReset } from './reset'
export { endResetCredentials } from './reset-credentials'
