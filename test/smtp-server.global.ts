import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { startSmtpServer } from './node/smtp-server'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A local SMTP server without TLS (test/node/smtp-server.ts) for the Worker's cloudflare:sockets. */
    smtpPort: number
    /** GET /sessions there: that server's sessions as JSON, to read from workerd. */
    smtpControlUrl: string
  }
}

/**
 * Runs in Node, once per test run: workerd tests cannot listen on a port, but their `connect`
 * reaches 127.0.0.1, so EMAIL_PROVIDER=smtp is tested against this server through the real sockets.
 */
export default async function setup(project: TestProject) {
  const smtp = await startSmtpServer({ tls: 'none' })
  const control = createServer((_, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(smtp.sessions))
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
  project.provide('smtpPort', smtp.port)
  project.provide('smtpControlUrl', `http://127.0.0.1:${(control.address() as AddressInfo).port}/sessions`)
  return async () => {
    await smtp.close()
    await new Promise((resolve) => control.close(resolve))
  }
}
