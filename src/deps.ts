import { type Config, loadConfig } from './config'
import { type Keyring, loadKeyring } from './crypto/jwt'
import { log } from './log'
import { DEFAULT_POOL, type Pool, poolConfig, poolIds, poolOf } from './pools'
import { type EmailSender, emailSenderFor } from './providers/email'
import { type SmsSender, smsSenderFor } from './providers/sms'
import { createDb, type Db } from './storage/db/client'
import { type HealthProbe, healthProbe } from './storage/health'
import { type AuthStateStore, authStateStore } from './storage/kv/auth-state'
import { type OtpCodesStore, otpCodesStore } from './storage/kv/otp-codes'
import { invalidatingDevices, invalidatingUsers } from './storage/profile-invalidation'
import { type AuditRepo, auditRepo } from './storage/repos/audit'
import { type CodeSignInRepo, codeSignInRepo } from './storage/repos/code-sign-in'
import { type DevicesRepo, devicesRepo } from './storage/repos/devices'
import { type LinkTokensRepo, linkTokensRepo } from './storage/repos/link-tokens'
import { type MfaTokensRepo, mfaTokensRepo } from './storage/repos/mfa-tokens'
import { type OauthClientsRepo, oauthClientsRepo } from './storage/repos/oauth-clients'
import { type OauthCodesRepo, oauthCodesRepo } from './storage/repos/oauth-codes'
import { type OauthConsentsRepo, oauthConsentsRepo } from './storage/repos/oauth-consents'
import { type OtpChallengesRepo, otpChallengesRepo } from './storage/repos/otp-challenges'
import { type PasskeysRepo, passkeysRepo } from './storage/repos/passkeys'
import { type PasswordAttemptsRepo, passwordAttemptsRepo } from './storage/repos/password-attempts'
import { type PlacesRepo, placesRepo } from './storage/repos/places'
import { type PoliciesRepo, policiesRepo } from './storage/repos/policies'
import { type RateLimitsRepo, rateLimitsRepo } from './storage/repos/rate-limits'
import { type RegistrationsRepo, registrationsRepo } from './storage/repos/registrations'
import { type SecondFactorsRepo, secondFactorsRepo } from './storage/repos/second-factors'
import { type SessionsRepo, sessionsRepo } from './storage/repos/sessions'
import { type UsersRepo, usersRepo } from './storage/repos/users'

/** What services receive: typed config, storage, providers, clock. Never a Hono Context. */
export interface Deps {
  /** The pool's configuration (SPEC §12: its settings over the global vars). */
  config: Config
  /** The user pool this request serves; every repository below reads and writes that pool only. */
  pool: Pool
  /**
   * The same dependencies for another pool (staff acting on its users). A pool no longer in
   * USER_POOLS still has users: it gets the global settings (only routes check that a pool exists).
   */
  inPool: (id: string) => Deps
  /** Every pool of the deployment: `default` and those of USER_POOLS. */
  pools: () => string[]
  db: Db
  users: UsersRepo
  sessions: SessionsRepo
  devices: DevicesRepo
  policies: PoliciesRepo
  places: PlacesRepo
  audit: AuditRepo
  linkTokens: LinkTokensRepo
  /** Password attempts under the lockout, each step one D1 round trip. */
  passwordAttempts: PasswordAttemptsRepo
  otpChallenges: OtpChallengesRepo
  /** Passkeys and WebAuthn challenges of the pool (SPEC §14), each intent one D1 batch. */
  passkeys: PasskeysRepo
  rateLimits: RateLimitsRepo
  /** Registration's intents: begin (limits, reservation, holders) and save, each one D1 batch. */
  registrations: RegistrationsRepo
  /** OTP sign-in in one D1 batch. */
  codeSignIn: CodeSignInRepo
  /** The second step of a sign-in (SPEC §14): mfa tokens, each round one D1 batch. */
  mfaTokens: MfaTokensRepo
  /** TOTP authenticators and recovery codes, keyed by user id. */
  secondFactors: SecondFactorsRepo
  otpCodes: OtpCodesStore
  /** OAuth clients of every pool (SPEC §15). */
  oauthClients: OauthClientsRepo
  /** Consent given to third-party OAuth clients. */
  oauthConsents: OauthConsentsRepo
  /** The pool's authorization codes (single use, each exchange one D1 batch). */
  oauthCodes: OauthCodesRepo
  /** Revocation marks and cached profiles (KV), remembered briefly in the isolate. */
  authState: AuthStateStore
  sms: SmsSender
  /** Used when `sms` fails (SMS_FALLBACK_PROVIDER). */
  smsFallback: SmsSender | null
  email: EmailSender
  keyring: () => Promise<Keyring>
  now: () => number
  /** Runs work after the response is sent (`waitUntil`); errors are logged, never thrown. */
  defer: (work: () => Promise<unknown>) => void
  /** Whether D1 and KV answer (GET /health). */
  health: HealthProbe
}

export interface Bindings {
  DB: D1Database
  KV: KVNamespace
}

type Shared = Pick<
  Deps,
  | 'db'
  | 'audit'
  | 'policies'
  | 'places'
  | 'oauthClients'
  | 'oauthConsents'
  | 'rateLimits'
  | 'secondFactors'
  | 'authState'
  | 'sms'
  | 'smsFallback'
  | 'email'
  | 'now'
  | 'health'
>
type PoolDeps = Omit<Deps, 'defer' | 'inPool' | 'pools'>
interface Isolate {
  config: Config
  shared: Shared
  pools: Map<string, PoolDeps>
}
const isolates = new WeakMap<object, Isolate>()

function sharedDeps(env: Bindings, config: Config): Shared {
  const db = createDb(env.DB)
  return {
    db,
    audit: auditRepo(db),
    policies: policiesRepo(db),
    places: placesRepo(db),
    oauthClients: oauthClientsRepo(db),
    oauthConsents: oauthConsentsRepo(db),
    rateLimits: rateLimitsRepo(db),
    secondFactors: secondFactorsRepo(db),
    authState: authStateStore(env.KV, {
      markTtlSeconds: Math.max(...poolIds(config).map((id) => poolConfig(config, id).ACCESS_TOKEN_EXPIRE_MINUTES)) * 60 + 60,
      memoMs: config.AUTH_STATE_CACHE_SECONDS * 1000,
    }),
    sms: smsSenderFor(config),
    smsFallback: config.SMS_FALLBACK_PROVIDER ? smsSenderFor(config, config.SMS_FALLBACK_PROVIDER) : null,
    email: emailSenderFor(config),
    now: () => Date.now(),
    health: healthProbe(db, env.KV),
  }
}

/** A pool's repositories: each reads and writes that pool's rows only (SPEC §12). */
function poolDeps(env: Bindings, isolate: Isolate, id: string): PoolDeps {
  const { shared } = isolate
  const { db, authState } = shared
  const config = poolConfig(isolate.config, id)
  const pool = poolOf(isolate.config, id)
  return {
    ...shared,
    config,
    pool,
    users: invalidatingUsers(usersRepo(db, id), authState),
    sessions: sessionsRepo(db, id),
    devices: invalidatingDevices(devicesRepo(db), authState),

    linkTokens: linkTokensRepo(db, id),
    passwordAttempts: passwordAttemptsRepo(db, id),
    otpChallenges: otpChallengesRepo(db, id),
    passkeys: passkeysRepo(db, id),
    registrations: registrationsRepo(db, id),
    codeSignIn: codeSignInRepo(db, id),
    mfaTokens: mfaTokensRepo(db, id),
    oauthCodes: oauthCodesRepo(db, id),
    otpCodes: otpCodesStore(env.KV, { scope: id === DEFAULT_POOL ? '' : `${id}/` }),
    keyring: () => loadKeyring(config, id),
  }
}

/**
 * The composition root: the only place that reads `env`. Built once per isolate, each pool's
 * part on its first request; `pool` is the pool the request serves (`default` unless a
 * `/pools/{pool}` route says otherwise).
 */
export function buildDeps(env: Bindings, waitUntil: (p: Promise<unknown>) => void, pool = DEFAULT_POOL): Deps {
  let isolate = isolates.get(env)
  if (!isolate) {
    const config = loadConfig(env)
    isolate = { config, shared: sharedDeps(env, config), pools: new Map() }
    isolates.set(env, isolate)
  }
  const known = isolate
  const inPool = (id: string): Deps => {
    let base = known.pools.get(id)
    if (!base) {
      base = poolDeps(env, known, id)
      known.pools.set(id, base)
    }
    return {
      ...base,
      inPool,
      pools: () => poolIds(known.config),
      defer: (work) => waitUntil(work().catch((err: unknown) => log.error('deferred work failed', { error: String(err) }))),
    }
  }
  return inPool(pool)
}
