import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import type { PlaceRow } from '../../storage/db/schema'
import { page } from '../pagination'

export interface PlaceInput {
  name: string
  kind: 'ev_charger' | 'swap_station'
  lat: number
  lng: number
  address?: string | undefined
}

const view = (p: PlaceRow) => ({
  id: p.id,
  name: p.name,
  kind: p.kind,
  lat: p.lat,
  lng: p.lng,
  address: p.address,
  created_at: new Date(p.createdAt).toISOString(),
})

export async function listPlaces(deps: Deps, q: { limit: number; cursor?: string | undefined }) {
  return page(await deps.places.page(q.limit + 1, q.cursor), q.limit, view)
}

export async function createPlace(deps: Deps, actorId: string, input: PlaceInput) {
  const now = deps.now()
  const row = await deps.places.insert({
    id: newId(now),
    name: input.name,
    kind: input.kind,
    lat: input.lat,
    lng: input.lng,
    address: input.address ?? null,
    createdBy: actorId,
    createdAt: now,
  })
  return view(row)
}
