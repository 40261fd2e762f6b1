import { lru } from '../lib/lru'

/** A registered route as Hono lists it (`app.routes`). */
interface Route {
  method: string
  path: string
}

/** A Hono path (`/users/:id`, `/docs/*`) as a regular expression over request paths. */
function pathPattern(path: string): RegExp {
  const segments = path.split('/').map((segment) => {
    if (segment.startsWith(':')) return '[^/]+'
    if (segment === '*') return '.*'
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  })
  return new RegExp(`^${segments.join('/')}$`)
}

/**
 * The methods the app serves at a path, from its route handlers (middleware, registered for
 * every method, does not count): what a 405 `method_not_allowed` lists in `Allow`. Built on
 * first use, once every route is registered.
 */
export function methodsServed(routes: readonly Route[]): (path: string) => string[] {
  let table: { method: string; pattern: RegExp }[] | undefined
  // app.ts asks on every request (a wrong method is refused before anything else runs): the
  // answer for a path is remembered, so a hot path (`GET /me`) costs one lookup, not every pattern.
  const known = lru<string, string[]>({ max: PATHS_REMEMBERED })
  return (path) => {
    const hit = known.get(path)
    if (hit) return hit
    table ??= routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, pattern: pathPattern(r.path) }))
    const methods = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method))
    if (methods.has('GET')) methods.add('HEAD')
    const served = [...methods].sort()
    known.set(path, served)
    return served
  }
}

/** Paths whose methods an isolate remembers (a path with ids in it is a path of its own). */
const PATHS_REMEMBERED = 1000
