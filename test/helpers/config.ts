import { type Config, loadConfig } from '../../src/config'

/** A parsed Config for unit tests: the required secrets plus `vars`, as strings like a Worker env. */
export function testConfig(vars: Record<string, string> = {}): Config {
  return loadConfig({
    OTP_PEPPER: 'unit-test-pepper-unit-test-pepper-0123',
    JWT_SECRET_KEY: 'unit-test-jwt-secret-unit-test-jwt-secret',
    SCRYPT_LOG_N: '10',
    SCRYPT_R: '8',
    SCRYPT_P: '1',
    ...vars,
  })
}
