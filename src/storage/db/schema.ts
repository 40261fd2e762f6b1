import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Times are Unix epoch milliseconds (integers compare cheaply in conditional updates);
// the API renders them as ISO 8601 strings.

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** The user pool (SPEC §12); identifiers are unique within it. Staff are in `default`. */
    pool: text('pool').notNull().default('default'),
    phone: text('phone'),
    email: text('email'),
    /** Always stored lower-cased, so the unique index is case-insensitive. */
    username: text('username'),
    /** Null for passwordless accounts (OTP sign-up). */
    passwordHash: text('password_hash'),
    name: text('name'),
    surname: text('surname'),
    role: text('role').notNull(),
    status: text('status', { enum: ['pending', 'active', 'deactivated', 'suspended'] }).notNull(),
    phoneVerified: integer('phone_verified', { mode: 'boolean' }).notNull().default(false),
    emailVerified: integer('email_verified', { mode: 'boolean' }).notNull().default(false),
    parentId: text('parent_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    lastLogin: integer('last_login'),
    /** A new email asked for by PATCH /me, not yet confirmed (SPEC §6.2): it reserves nothing. */
    pendingEmail: text('pending_email'),
    pendingEmailAt: integer('pending_email_at'),
    /** A new phone asked for by PATCH /me, not yet confirmed. */
    pendingPhone: text('pending_phone'),
    pendingPhoneAt: integer('pending_phone_at'),
    /**
     * The second factors the account has turned on (SPEC §14), as bits of `MFA_METHOD` (0: none).
     * On the user row, so every sign-in learns whether a second step is due from the row it reads.
     */
    mfaMethods: integer('mfa_methods').notNull().default(0),
    /** The account's language (SPEC §15: `en`, `fr`, `ar`…), set at sign-up; its SMS and emails use it. Null: DEFAULT_LOCALE. */
    locale: text('locale'),
  },
  (t) => [
    uniqueIndex('users_pool_phone_unique').on(t.pool, t.phone),
    uniqueIndex('users_pool_email_unique').on(t.pool, t.email),
    uniqueIndex('users_pool_username_unique').on(t.pool, t.username),
    index('users_pool_idx').on(t.pool, t.id),
    index('users_role_idx').on(t.role),
    index('users_parent_idx').on(t.parentId),
  ],
)

export const devices = sqliteTable(
  'devices',
  {
    deviceId: text('device_id').notNull(),
    /** Its account's pool: a device id is unique within a pool (SPEC §12: pools share nothing). */
    pool: text('pool').notNull().default('default'),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    registeredAt: integer('registered_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.pool, t.deviceId] }), index('devices_user_idx').on(t.userId)],
)

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Its account's pool: a refresh token works only on its pool's routes. */
    pool: text('pool').notNull().default('default'),
    /** SHA-256 (hex) of the current refresh token; the token itself is never stored. */
    refreshHash: text('refresh_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    revokedAt: integer('revoked_at'),
    /** When its holder authenticated (the access token's `auth_time`), kept across refreshes; null before issue 19. */
    authTime: integer('auth_time'),
    /** How its holder authenticated: RFC 8176 `amr` values, comma-separated (`pwd`, `otp,sms,mfa`, …). */
    amr: text('amr'),
    /** The OAuth client the session was issued to (SPEC §15, `/oauth2/token`); null for the JSON API's own sign-ins. */
    clientId: text('client_id'),
    /** The scopes granted to that client, space-separated (null: a JSON API session). */
    scope: text('scope'),
    /** The browser (IdP) session an OAuth session came from, so RP-initiated logout can end what it issued. */
    browserSessionId: text('browser_session_id'),
  },
  (t) => [uniqueIndex('sessions_refresh_unique').on(t.refreshHash), index('sessions_user_idx').on(t.userId)],
)

/**
 * Every refresh token a session has rotated away, so presenting any of them again is caught:
 * a benign race inside the grace window, theft after it (SPEC §6.3).
 */
export const refreshTokenHistory = sqliteTable(
  'refresh_token_history',
  {
    hash: text('hash').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    rotatedAt: integer('rotated_at').notNull(),
  },
  (t) => [index('refresh_history_session_idx').on(t.sessionId)],
)

/**
 * The atomic half of a one-time code (SPEC §5): KV holds the code's HMAC, this row decides
 * attempts, single use and expiry with conditional updates, so KV's eventual consistency can
 * never make a used or exhausted code valid again. Rows also back the per-destination send caps.
 */
export const otpChallenges = sqliteTable(
  'otp_challenges',
  {
    id: text('id').primaryKey(),
    destination: text('destination').notNull(),
    /** The pool the code was sent for: it works there only, while the send limits count every pool's codes. */
    pool: text('pool').notNull().default('default'),
    purpose: text('purpose').notNull(),
    attempts: integer('attempts').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** Set when the code is used, superseded by a newer one, or exhausted. */
    closedAt: integer('closed_at'),
    /** The session a right code opened: what the rest of its D1 batch checks it won. */
    consumedBy: text('consumed_by'),
    /**
     * The account the code was sent for (SPEC §5), null when no account held the destination, and
     * its `created_at` then (a registration replacing a pending account gives it a new one): a
     * right code is consumed only while the destination's holder is still this account, as it was.
     */
    userId: text('user_id'),
    userStamp: integer('user_stamp'),
    /** The last wrong guess this row took: what the per-IP-bucket failure counter's hit checks it won. */
    lastGuess: text('last_guess'),
  },
  (t) => [index('otp_destination_created_idx').on(t.destination, t.createdAt)],
)

/** Fixed-window counters updated in one statement (`INSERT … ON CONFLICT … RETURNING`). */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
})

export type UserRow = typeof users.$inferSelect
export type SessionRow = typeof sessions.$inferSelect
export type DeviceRow = typeof devices.$inferSelect

/** A named set of permissions (`resource:action`, `resource:*`, `*`) attached to staff users. */
export const policies = sqliteTable(
  'policies',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description'),
    /** JSON array of permission strings. */
    permissions: text('permissions', { mode: 'json' }).$type<string[]>().notNull(),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('policies_name_unique').on(t.name)],
)

export const userPolicies = sqliteTable(
  'user_policies',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    policyId: text('policy_id')
      .notNull()
      .references(() => policies.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.policyId] }), index('user_policies_policy_idx').on(t.policyId)],
)

/**
 * Policies attached to a role (SPEC §13): everyone of the role holds them, end-user roles included.
 * `role` is a staff role or one of END_USER_ROLES, checked by the service (roles are configuration).
 */
export const rolePolicies = sqliteTable(
  'role_policies',
  {
    role: text('role').notNull(),
    policyId: text('policy_id')
      .notNull()
      .references(() => policies.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.role, t.policyId] }), index('role_policies_policy_idx').on(t.policyId)],
)

/** Seed 004's directory of EV chargers and swap stations: the example protected resource. */
export const places = sqliteTable('places', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['ev_charger', 'swap_station'] }).notNull(),
  lat: real('lat').notNull(),
  lng: real('lng').notNull(),
  address: text('address'),
  createdBy: text('created_by'),
  createdAt: integer('created_at').notNull(),
})

/** Security events (SPEC §6.7). Never a secret, code or token. */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    at: integer('at').notNull(),
    type: text('type').notNull(),
    actorId: text('actor_id'),
    subjectId: text('subject_id'),
    /** The pool of the account the event is about (SPEC §12). */
    pool: text('pool').notNull().default('default'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_type_idx').on(t.type, t.id),
    index('audit_actor_idx').on(t.actorId),
    index('audit_subject_idx').on(t.subjectId),
  ],
)

export type PolicyRow = typeof policies.$inferSelect
export type PlaceRow = typeof places.$inferSelect
export type AuditRow = typeof auditEvents.$inferSelect

/**
 * One-time tokens of emailed links (SPEC §6.6): stored only as SHA-256 hashes, bound to the
 * user and the address they were sent to, consumed by one conditional update.
 */
export const linkTokens = sqliteTable(
  'link_tokens',
  {
    hash: text('hash').primaryKey(),
    purpose: text('purpose', { enum: ['email_verify', 'password_reset'] }).notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('link_tokens_user_idx').on(t.userId, t.purpose)],
)

export type LinkTokenRow = typeof linkTokens.$inferSelect

/**
 * Consecutive failed password attempts per identifier (not per account, so unknown identifiers
 * lock the same way and the lockout tells nothing) and per identifier and client IP bucket
 * (`bucket:<bucket>|<identifier>`), with a bounded, growing lock, and the attempts still being
 * checked (`in_flight`, forgotten 15 s after `in_flight_at`), which count towards the threshold.
 */
export const loginFailures = sqliteTable('login_failures', {
  identifier: text('identifier').primaryKey(),
  failures: integer('failures').notNull(),
  lastFailureAt: integer('last_failure_at').notNull(),
  lockedUntil: integer('locked_until').notNull().default(0),
  inFlight: integer('in_flight').notNull().default(0),
  inFlightAt: integer('in_flight_at').notNull().default(0),
})

/**
 * Bits of `users.mfa_methods`: the second factors an account has on. `passkey` is set while the
 * user holds at least one passkey (storage/repos/passkeys sets and clears it with the add/delete).
 */
export const MFA_METHOD = { totp: 1, passkey: 2 } as const

/**
 * A user's TOTP authenticator (SPEC §14): its secret sealed with a key derived from OTP_PEPPER
 * (AES-GCM, bound to the user id), pending until confirmed with a code, and the last time step
 * accepted, so a step is accepted once (`last_step < ?` in a conditional update).
 */
export const totpCredentials = sqliteTable('totp_credentials', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** `v1.` + base64url(iv ‖ AES-GCM ciphertext) of the raw secret. */
  secret: text('secret').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Null while pending (enrolment not yet confirmed). */
  enabledAt: integer('enabled_at'),
  /** The last time step (Unix time / 30 s) a code was accepted for; 0 before any. */
  lastStep: integer('last_step').notNull().default(0),
  /** Which request accepted `last_step`: what the rest of its D1 batch checks it won. */
  lastStepBy: text('last_step_by'),
})

/** Recovery codes (SPEC §14): ten per enrolment, HMAC-SHA-256 with OTP_PEPPER, each used once. */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    hash: text('hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    usedAt: integer('used_at'),
    /** The request that used it: what the rest of its D1 batch checks it won. */
    usedBy: text('used_by'),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
)

/**
 * The second step of a sign-in (SPEC §14): a first factor passed, no session yet. Stored as the
 * token's SHA-256, single use, 5 minutes, at most 5 attempts (counted before each evaluation).
 */
export const mfaTokens = sqliteTable(
  'mfa_tokens',
  {
    hash: text('hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    pool: text('pool').notNull().default('default'),
    /** The first factor's `amr` values, comma-separated. */
    amr: text('amr').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    usedAt: integer('used_at'),
    /** The session the token opened. */
    usedBy: text('used_by'),
  },
  (t) => [index('mfa_tokens_user_idx').on(t.userId)],
)

export type TotpRow = typeof totpCredentials.$inferSelect
export type MfaTokenRow = typeof mfaTokens.$inferSelect

/**
 * WebAuthn credentials (SPEC §14 passkeys) of a user, in its pool. The credential id is unique
 * across the deployment (WebAuthn: an id registered to anyone is refused); only the public key
 * is stored, never anything secret.
 */
export const passkeys = sqliteTable(
  'passkeys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Its account's pool: a sign-in on a pool's routes finds that pool's passkeys only (SPEC §12). */
    pool: text('pool').notNull().default('default'),
    /** The credential id, base64url, as the authenticator made it. */
    credentialId: text('credential_id').notNull(),
    /** The COSE public key, base64url. */
    publicKey: text('public_key').notNull(),
    /** The signature counter last seen (0: the authenticator keeps none). */
    counter: integer('counter').notNull().default(0),
    /** JSON array of the transports the browser reported (`internal`, `hybrid`, `usb`, …). */
    transports: text('transports', { mode: 'json' }).$type<string[]>().notNull(),
    name: text('name').notNull(),
    aaguid: text('aaguid'),
    /** Backup eligible (a synced, multi-device passkey) and backed up, as the last ceremony's flags said. */
    backupEligible: integer('backup_eligible', { mode: 'boolean' }).notNull().default(false),
    backedUp: integer('backed_up', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    /** The challenge of the last sign-in: what the rest of that sign-in's D1 batch checks it won. */
    lastChallenge: text('last_challenge'),
  },
  (t) => [uniqueIndex('passkeys_credential_unique').on(t.credentialId), index('passkeys_user_idx').on(t.userId)],
)

export type PasskeyRow = typeof passkeys.$inferSelect

/**
 * WebAuthn challenges (SPEC §14): single use, decided by one conditional update in D1, 5 minutes.
 * Bound to the user for a registration, to the pool for a sign-in. Stored as SHA-256 (hex) of the
 * challenge; a used or expired row is deleted.
 */
export const webauthnChallenges = sqliteTable(
  'webauthn_challenges',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['registration', 'authentication'] }).notNull(),
    pool: text('pool').notNull(),
    userId: text('user_id'),
    expiresAt: integer('expires_at').notNull(),
    /** The passkey (registration) or session (sign-in) that used it, within its D1 batch. */
    usedBy: text('used_by'),
  },
  (t) => [index('webauthn_challenges_expires_idx').on(t.expiresAt)],
)

/** OAuth 2.0 / OpenID Connect clients (SPEC §15), registered by admins through `/api/v1/oauth-clients`. */
export const oauthClients = sqliteTable(
  'oauth_clients',
  {
    /** The `client_id`. */
    id: text('id').primaryKey(),
    /** The user pool whose users sign in to this client (its issuer, SPEC §12). */
    pool: text('pool').notNull().default('default'),
    name: text('name').notNull(),
    type: text('type', { enum: ['public', 'confidential'] }).notNull(),
    /** SHA-256 (hex) of the client secret (confidential clients): shown once, never stored. */
    secretHash: text('secret_hash'),
    /** JSON arrays of strings. */
    redirectUris: text('redirect_uris').notNull(),
    postLogoutRedirectUris: text('post_logout_redirect_uris').notNull().default('[]'),
    grantTypes: text('grant_types').notNull(),
    /** Space-separated scopes the client may ask for. */
    scope: text('scope').notNull(),
    /** First-party clients skip the consent screen. */
    firstParty: integer('first_party', { mode: 'boolean' }).notNull().default(false),
    /** The ID token's signing algorithm: RS256 (default), EdDSA or ES256. */
    idTokenAlg: text('id_token_alg').notNull().default('RS256'),
    /** For `client_credentials`: the staff account (seed 004's `client`) the client acts as; null: the client itself. */
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    secretRotatedAt: integer('secret_rotated_at'),
  },
  (t) => [index('oauth_clients_pool_idx').on(t.pool, t.id)],
)

/**
 * Authorization codes (RFC 6749 §4.1): single use, decided by a conditional update on `used_at`;
 * a second use also revokes the session the first one opened (`session_id`, §4.1.2).
 */
export const oauthCodes = sqliteTable(
  'oauth_codes',
  {
    /** SHA-256 (hex) of the code. */
    hash: text('hash').primaryKey(),
    clientId: text('client_id').notNull(),
    pool: text('pool').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The browser session that approved it. */
    browserSessionId: text('browser_session_id').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    scope: text('scope').notNull(),
    nonce: text('nonce'),
    codeChallenge: text('code_challenge').notNull(),
    /** Unix ms of the sign-in, and its RFC 8176 methods (comma-separated), for the ID token. */
    authTime: integer('auth_time').notNull(),
    amr: text('amr').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    /** The session the exchange opened. */
    sessionId: text('session_id'),
  },
  (t) => [index('oauth_codes_expires_idx').on(t.expiresAt)],
)

/** Consent a user gave a third-party client (SPEC §15): the scopes granted, so it is asked once. */
export const oauthConsents = sqliteTable(
  'oauth_consents',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    clientId: text('client_id')
      .notNull()
      .references(() => oauthClients.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull(),
    grantedAt: integer('granted_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.clientId] })],
)

export type OauthClientRow = typeof oauthClients.$inferSelect
export type OauthCodeRow = typeof oauthCodes.$inferSelect
