import type { Trips } from './round-trips'

/** Told of every call that reaches storage: its kind and what it was (a statement's SQL, a key's kind). */
export type Note = (kind: keyof Trips, what: string) => void

const KV_READS = new Set(['get', 'getWithMetadata', 'list'])
const KV_WRITES = new Set(['put', 'delete'])
const D1_CALLS = new Set(['first', 'all', 'run', 'raw'])

const sqlText = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 90)
// A key's kind: its segments up to the first holding an id, a phone, an email or a hash.
const keyKind = (key: unknown) => {
  const parts = String(key).split(':')
  const i = parts.findIndex((p) => /[0-9@+]/.test(p))
  return parts.slice(0, i === -1 ? parts.length : Math.max(1, i)).join(':')
}

const unwrapped = new WeakMap<object, D1PreparedStatement>()
const sqlOf = new WeakMap<object, string>()

function countingStatement(stmt: D1PreparedStatement, sql: string, note: Note): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      if (prop === 'bind') return (...args: unknown[]) => countingStatement(value.apply(target, args), sql, note)
      if (D1_CALLS.has(String(prop)))
        return (...args: unknown[]) => {
          note('d1', `${String(prop)} ${sqlText(sql)}`)
          return value.apply(target, args)
        }
      return value.bind(target)
    },
  })
  unwrapped.set(proxy, stmt)
  sqlOf.set(proxy, sql)
  return proxy
}

/** D1 whose every call counts once: a statement's first/all/run/raw, exec, dump, and a whole `batch()`. */
export function countingD1(db: D1Database, note: Note): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      if (prop === 'prepare') return (sql: string) => countingStatement(value.call(target, sql), sql, note)
      if (prop === 'batch')
        return (stmts: D1PreparedStatement[]) => {
          note('d1', `batch [${stmts.map((s) => sqlText(sqlOf.get(s) ?? '?').slice(0, 50)).join(' ; ')}]`)
          return value.call(
            target,
            stmts.map((s) => unwrapped.get(s) ?? s),
          )
        }
      if (prop === 'exec' || prop === 'dump')
        return (...args: unknown[]) => {
          note('d1', String(prop))
          return value.apply(target, args)
        }
      return value.bind(target)
    },
  })
}

/** KV whose get/getWithMetadata/list count as reads and put/delete as writes (a bulk get is one). */
export function countingKv(kv: KVNamespace, note: Note): KVNamespace {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const op = String(prop)
      if (!KV_READS.has(op) && !KV_WRITES.has(op)) return value.bind(target)
      return (...args: unknown[]) => {
        const keys = Array.isArray(args[0]) ? args[0] : [op === 'list' ? '' : args[0]]
        note(KV_WRITES.has(op) ? 'kvWrite' : 'kvRead', `${op} ${keys.map(keyKind).join(',')}`)
        return value.apply(target, args)
      }
    },
  })
}
