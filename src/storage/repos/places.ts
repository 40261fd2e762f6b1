import type { Db } from '../db/client'
import { type PlaceRow, places } from '../db/schema'
import { newestFirst } from './pages'

export function placesRepo(db: Db) {
  return {
    insert: (row: PlaceRow) => db.insert(places).values(row).returning().get(),
    page: newestFirst(db, places, places.id),
  }
}

export type PlacesRepo = ReturnType<typeof placesRepo>
