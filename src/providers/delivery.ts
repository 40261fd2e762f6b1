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
