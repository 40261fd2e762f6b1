import { defineConfig } from 'vitest/config'

// Tests of the command-line scripts: plain Node, not workerd, since they spawn wrangler and tsx.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/node/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
