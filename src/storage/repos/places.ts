import { desc, lt } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type PlaceRow, places } from '../db/schema'

export function placesRepo(db: Db) {
  return {
    insert: (row: PlaceRow) => db.insert(places).values(row).returning().get(),
    page: (limit: number, cursor?: string): Promise<PlaceRow[]> =>
      db
        .select()
        .from(places)
        .where(cursor ? lt(places.id, cursor) : undefined)
        .orderBy(desc(places.id))
        .limit(limit)
        .all(),
  }
}

export type PlacesRepo = ReturnType<typeof placesRepo>
