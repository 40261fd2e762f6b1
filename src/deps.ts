import { type Config, loadConfig } from './config'
import { type Keyring, loadKeyring } from './crypto/jwt'
import { log } from './log'
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
import { type OtpChallengesRepo, otpChallengesRepo } from './storage/repos/otp-challenges'
import { type PasswordAttemptsRepo, passwordAttemptsRepo } from './storage/repos/password-attempts'
import { type PlacesRepo, placesRepo } from './storage/repos/places'
import { type PoliciesRepo, policiesRepo } from './storage/repos/policies'
import { type RateLimitsRepo, rateLimitsRepo } from './storage/repos/rate-limits'
import { type RegistrationsRepo, registrationsRepo } from './storage/repos/registrations'
import { type SessionsRepo, sessionsRepo } from './storage/repos/sessions'
import { type UsersRepo, usersRepo } from './storage/repos/users'

/** What services receive: typed config, storage, providers, clock. Never a Hono Context. */
export interface Deps {
  config: Config
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
  rateLimits: RateLimitsRepo
  /** Registration's intents: begin (limits, reservation, holders) and save, each one D1 batch. */
  registrations: RegistrationsRepo
  /** OTP sign-in in one D1 batch. */
  codeSignIn: CodeSignInRepo
  otpCodes: OtpCodesStore
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

type IsolateDeps = Omit<Deps, 'defer'>
const isolateDeps = new WeakMap<object, IsolateDeps>()

/** The composition root: the only place that reads `env`. Built once per isolate. */
export function buildDeps(env: Bindings, waitUntil: (p: Promise<unknown>) => void): Deps {
  let base = isolateDeps.get(env)
  if (!base) {
    const config = loadConfig(env)
    const db = createDb(env.DB)
    const authState = authStateStore(env.KV, {
      markTtlSeconds: config.ACCESS_TOKEN_EXPIRE_MINUTES * 60 + 60,
      memoMs: config.AUTH_STATE_CACHE_SECONDS * 1000,
    })
    base = {
      config,
      db,
      users: invalidatingUsers(usersRepo(db), authState),
      sessions: sessionsRepo(db),
      devices: invalidatingDevices(devicesRepo(db), authState),
      policies: policiesRepo(db),
      places: placesRepo(db),
      audit: auditRepo(db),
      linkTokens: linkTokensRepo(db),
      passwordAttempts: passwordAttemptsRepo(db),
      otpChallenges: otpChallengesRepo(db),
      rateLimits: rateLimitsRepo(db),
      registrations: registrationsRepo(db),
      codeSignIn: codeSignInRepo(db),
      otpCodes: otpCodesStore(env.KV),
      authState,
      sms: smsSenderFor(config),
      smsFallback: config.SMS_FALLBACK_PROVIDER ? smsSenderFor(config, config.SMS_FALLBACK_PROVIDER) : null,
      email: emailSenderFor(config),
      keyring: () => loadKeyring(config),
      now: () => Date.now(),
      health: healthProbe(db, env.KV),
    }
    isolateDeps.set(env, base)
  }
  return {
    ...base,
    defer: (work) => waitUntil(work().catch((err: unknown) => log.error('deferred work failed', { error: String(err) }))),
  }
}
