/** Permission strings are `resource:action`; `resource:*` and `*` are wildcards (SPEC §6.5). */
export const PERMISSION = /^(\*|[a-z][a-z0-9_-]{0,63}:(\*|[a-z][a-z0-9_-]{0,63}))$/

/** True when the held permissions allow `wanted` (which may itself be a wildcard). */
export function grants(held: readonly string[], wanted: string): boolean {
  if (held.includes('*') || held.includes(wanted)) return true
  const [resource] = wanted.split(':')
  return wanted !== '*' && held.includes(`${resource}:*`)
}

/** Sorted, deduplicated. */
export function normalize(perms: Iterable<string>): string[] {
  return [...new Set(perms)].sort()
}

/**
 * A sub-client's effective permissions: its own, never more than its parent's. Wildcards are
 * resolved both ways (`places:*` under a parent holding `places:read` gives `places:read`).
 */
export function intersect(own: readonly string[], parent: readonly string[]): string[] {
  return normalize([...own.filter((p) => grants(parent, p)), ...parent.filter((p) => grants(own, p))])
}
