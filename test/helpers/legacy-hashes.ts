import { env } from 'cloudflare:workers'

/**
 * Password hashes made by the libraries other services use (SPEC §13), kept as fixtures: passlib
 * 1.7.4 (its bcrypt over the `bcrypt` 3.2.2 backend, its pbkdf2_sha256) and argon2-cffi 21.1.0,
 * as Debian 12 packages them. Each is a hash of `PASSWORD` (test/helpers/factories.ts) unless
 * named `…Cafe`: a hash of `CAFE`, the é written as one code point.
 *
 *   from passlib.hash import bcrypt, pbkdf2_sha256, argon2; from argon2 import PasswordHasher
 *   bcrypt.using(rounds=12, ident='2b').hash(P); pbkdf2_sha256.hash(P); argon2.using(type='ID').hash(P)
 *   PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16).hash(P)
 */
export const CAFE = 'Caf\u00e9-Tunis-1'

export const LEGACY = {
  bcrypt2b10: '$2b$10$s0T4e4ySUEVXVYxNuLF2ken3.n4xAF4eZdWaddAMCfEEsXEnI4D/G',
  bcrypt2b12: '$2b$12$O/Ny/kies2BeiQWnA0dNp.jZPKKBZ9OQoO2FJ845BTljQke9Z5DAC',
  bcrypt2a10: '$2a$10$LLYaGhGJl3MNsWkJ8qhm4OK7tfEiA/D1thnW3u996XOONBz2vAA7K',
  bcrypt2y10: '$2y$10$gvFSbSHHdzUO2N0NAOaL7ubEKOHmjjWOlf27mVzwuSn/Tmpx14Eau',
  bcrypt2b04: '$2b$04$UY.MbcKrac1bWK3.DcMrhu2dix0RvqWkU.wyUtI.5b4tJ0nkLtT.u',
  bcryptCafe: '$2b$10$.Qi/pIuNddAlwT2ckq9MDeGIZ3Sxi5auhyUYQPYuBTQ2QlUE7IyWW',
  /** passlib's defaults: 29,000 rounds, a 16-byte salt. */
  pbkdf2: '$pbkdf2-sha256$29000$EALgfE8ppXRO6T3H2Lt3Tg$MUC3aAIAuvxKS8u.NyQnL8VlQI.pELD/5j0GPP4L5Bc',
  pbkdf2Rounds1000: '$pbkdf2-sha256$1000$qXWu9f7//5.TEgJg7D3nfA$aNLqe7kdyfcBeQmxISuy25IO/K0nEosj1AN9x6wd6mc',
  /** An 8-byte salt: 11 characters, the last ending between bytes. */
  pbkdf2Salt8: '$pbkdf2-sha256$1000$LuXce8.Zc.4$.p17fHiSRzPUUG.bwcDSi9ZYMhJybZzGFt/FS1q3s9A',
  pbkdf2Cafe: '$pbkdf2-sha256$29000$5/wf49w751xLSakVQui9Vw$rYGzXWGpodhSykGz0HkqJsv9wGysncFoyjLYkeWV79w',
  /** passlib's argon2 defaults (argon2-cffi's before 21.2): 100 MiB, 2 passes, 8 lanes, a 16-byte tag. */
  argon2Passlib: '$argon2id$v=19$m=102400,t=2,p=8$uxeitJZSytkbw7gXYkwpBQ$Wc50IEFDTtHRix1u+IxOag',
  /** argon2-cffi's defaults since 21.2 (RFC 9106's second recommended profile): 64 MiB, 3 passes, 4 lanes. */
  argon2Rfc9106: '$argon2id$v=19$m=65536,t=3,p=4$sFMJW4VMsdlF6jGjUWONvg$jSXf7Grvm45KbP66VnYuZTl4BTOV7KSEvAcxBX+X80w',
  /** OWASP's first argon2id setting: 19 MiB, 2 passes, 1 lane. */
  argon2Owasp: '$argon2id$v=19$m=19456,t=2,p=1$2+pmPr52YDIRnR2lYh8aLA$2GG6l5M92M7L8yhMP39t1Q',
  argon2Small: '$argon2id$v=19$m=1024,t=2,p=1$90BduvxppUFTtuSqu9VcIQ$OeJvNrEfYeFHwMY3cz9/sg',
  argon2Cafe: '$argon2id$v=19$m=1024,t=2,p=1$myBEjVrTcqObN8c3WynV1A$fqUkolY2QZMuC7ko4aKxkQ',
  /** 256 MiB: over the memory cap. */
  argon2Huge: '$argon2id$v=19$m=262144,t=1,p=1$wVxmrfzPA0XZrcG5BzbF3w$KRQ2zpTuYGOtWCMnIi1NIQ',
} as const

/**
 * The reference implementation's own argon2id test (phc-winner-argon2, src/test.c): "password"
 * with salt "somesalt", 64 MiB, 2 passes, 1 lane.
 */
export const ARGON2_REFERENCE = {
  password: 'password',
  hash: '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
}

/** Stores `hash` as the account's password hash, as an import of another service's users would. */
export async function setPasswordHash(userId: string, hash: string): Promise<void> {
  await env.DB.prepare('UPDATE users SET password_hash = ? WHERE id = ?').bind(hash, userId).run()
}

/** The account's stored password hash. */
export async function passwordHashOf(userId: string): Promise<string | null> {
  return env.DB.prepare('SELECT password_hash AS h FROM users WHERE id = ?').bind(userId).first<string>('h')
}
