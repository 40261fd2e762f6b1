// Makes package-lock.json installable with `npm ci` from a registry mirror that serves only this
// platform's binaries: npm cannot record an optional platform package it cannot fetch, and
// `npm ci` then refuses the lock ("Missing: … from lock file"). This removes such names from the
// optionalDependencies of lock entries. Run after `npm install` when the lock changes:
//   node scripts/prune-lockfile.mjs
// On a machine with the full npm registry, a plain `npm install` writes a complete lock instead.
import { readFileSync, writeFileSync } from 'node:fs'

const path = 'package-lock.json'
const lock = JSON.parse(readFileSync(path, 'utf8'))
/** The lock entry Node's resolution would find for `name` from the package at `key`. */
function resolve(key, name) {
  let dir = key
  for (;;) {
    const hit = lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]
    if (hit) return hit
    if (!dir) return undefined
    const i = dir.lastIndexOf('/node_modules/')
    dir = i === -1 ? '' : dir.slice(0, i)
  }
}

let pruned = 0
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const hit = resolve(key, name)
    // Platform packages are pinned exactly; a different version up the tree does not satisfy it.
    if (hit && (hit.version === spec || !/^\d/.test(spec))) continue
    delete entry.optionalDependencies[name]
    pruned++
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`pruned ${pruned} unresolvable optional dependencies from ${path}`)
