export type { ClientPatch, ClientQuery, CreatedClient, NewClientInput } from './registry'
export { createClient, deleteClient, getClient, listClients, rotateSecret, updateClient } from './registry'
export type { ClientDefinition, ClientScope, ClientType, GrantType, IdTokenAlg } from './rules'
export {
  CLIENT_SCOPES,
  CLIENT_TYPES,
  DEFAULT_GRANT_TYPES,
  DEFAULT_SCOPES,
  definitionProblems,
  GRANT_TYPES,
  ID_TOKEN_ALGS,
  isPrivateUse,
  MAX_REDIRECT_URI_LENGTH,
  MAX_REDIRECT_URIS,
  redirectUriProblem,
} from './rules'
export { ACTING_ROLES } from './validate'
export type { OauthClientView } from './view'
export { oauthClientView } from './view'
