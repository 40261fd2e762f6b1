import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

function testKey(kid: string) {
  return { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid, alg: 'EdDSA' }
}

export default defineConfig(async () => {
  // wrangler.toml's [assets] directory, complete in a clean clone: the reference bundles from node_modules.
  execFileSync(process.execPath, ['scripts/assets.mjs'], { stdio: 'ignore' })
  const migrations = await readD1Migrations('./migrations')
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          // UPGRADE_DB: an empty database a test migrates step by step (test/integration/pools-migration.test.ts).
          d1Databases: { DB: '00000000-0000-0000-0000-000000000000', UPGRADE_DB: 'upgrade-test' },
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Fresh secrets per run; two keys so rotation can be tested (the first signs).
            JWT_PRIVATE_KEYS: JSON.stringify([testKey('test-1'), testKey('test-2')]),
            OTP_PEPPER: randomBytes(32).toString('base64url'),
            // Small scrypt cost keeps the suite fast; production defaults are tested in unit tests.
            SCRYPT_LOG_N: '10',
            SCRYPT_R: '8',
            SCRYPT_P: '1',
            // Abuse limits high by default so ordinary tests never trip them; their own tests set them low.
            SMS_PREFIX_DAILY_LIMIT: '1000000',
            SMS_COUNTRY_DAILY_LIMIT: '1000000',
            SMS_DAILY_BUDGET: '1000000',
            AUTH_REQUESTS_PER_IP_PER_MINUTE: '1000000',
            LOGIN_LOCKOUT_THRESHOLD: '1000',
            JWT_ISSUER: 'https://auth.test',
            JWT_AUDIENCE: 'edge-auth-test',
          },
        },
      }),
    ],
    test: {
      setupFiles: ['./test/setup.ts'],
      globalSetup: ['./test/smtp-server.global.ts'],
      // Every core: each worker is its own workerd with per-file storage, and most of a file's
      // time is its setup. On the 2-core CI machine vitest's default ran one worker (261 s);
      // two ran the same suite in 182 s.
      maxWorkers: availableParallelism(),
      include: ['test/**/*.test.ts'],
      exclude: ['test/node/**', 'node_modules/**'],
    },
  }
})
