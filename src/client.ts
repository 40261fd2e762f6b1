import type { Hono } from 'hono'
import { type ClientRequestOptions, hc } from 'hono/client'
import type { BlankEnv } from 'hono/types'
import type { AppType } from './app'

/** The routes and their types, without the server's environment (its bindings, its services). */
type Routes = AppType extends Hono<infer _Env, infer Schema, infer _Base> ? Schema : never

/**
 * A typed client of an edge-auth deployment, for a browser, React Native or Node app:
 * `createClient('https://auth.example.com').api.v1.auth.login.$post({ json: { phone, password } })`.
 * Request and response bodies are typed from the service's own route schemas.
 */
export function createClient(baseUrl: string, options?: ClientRequestOptions) {
  return hc<Hono<BlankEnv, Routes>>(baseUrl, options)
}

export type EdgeAuthClient = ReturnType<typeof createClient>
