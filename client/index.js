// Generated from src/client.ts by `npm run build:client`: do not edit.
import { hc } from 'hono/client';
/**
 * A typed client of an edge-auth deployment, for a browser, React Native or Node app:
 * `createClient('https://auth.example.com').api.v1.auth.login.$post({ json: { phone, password } })`.
 * Request and response bodies are typed from the service's own route schemas.
 */
export function createClient(baseUrl, options) {
    return hc(baseUrl, options);
}
