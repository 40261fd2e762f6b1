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
  return (path) => {
    table ??= routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, pattern: pathPattern(r.path) }))
    const methods = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method))
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods].sort()
  }
}
