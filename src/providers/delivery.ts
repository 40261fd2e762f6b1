/** A provider answered non-2xx, timed out or could not be reached. */
export class DeliveryError extends Error {
  override name = 'DeliveryError'
}

export const PROVIDER_TIMEOUT_MS = 5000

/** Runs `send`, and once more if it fails (SPEC §8: one retry, then give up). */
export async function withOneRetry(send: () => Promise<void>): Promise<void> {
  try {
    await send()
  } catch {
    await send()
  }
}

/** Throws a DeliveryError naming the provider and status, never echoing the body (it may hold secrets). */
export async function expectOk(provider: string, res: Response): Promise<void> {
  if (!res.ok) {
    await res.body?.cancel()
    throw new DeliveryError(`${provider} answered ${res.status}`)
  }
  await res.body?.cancel()
}

/** A provider call: JSON for an object body, a form for URLSearchParams; `authorization` when the API takes one. */
export interface ProviderPost {
  url: string
  body: object | URLSearchParams
  authorization?: string
}

/** POSTs to a provider, accepting JSON, within PROVIDER_TIMEOUT_MS. */
export function postToProvider(fetchFn: typeof fetch, { url, body, authorization }: ProviderPost): Promise<Response> {
  const form = body instanceof URLSearchParams
  return fetchFn(url, {
    method: 'POST',
    headers: {
      ...(authorization ? { authorization } : {}),
      'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      accept: 'application/json',
    },
    body: form ? body.toString() : JSON.stringify(body),
    signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
  })
}
