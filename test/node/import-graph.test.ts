import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// The layout of STYLE.md, kept by a test over the import graph: a feature folder of services/
// is entered only through its index.ts, and batching stays inside storage (services and routes
// never assemble statements, call batch or touch the D1/KV bindings).

const ROOT = resolve(import.meta.dirname, '../..')
const SRC = join(ROOT, 'src')
const SERVICES = join(SRC, 'services')

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : /\.tsx?$/.test(name) ? [path] : []
  })
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

function resolveImport(from: string, spec: string): string {
  const base = resolve(dirname(from), spec)
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not this one
    }
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve ${spec}`)
}

interface Edge {
  from: string
  to: string
}

const edges: Edge[] = filesUnder(SRC).flatMap((from) =>
  [...readFileSync(from, 'utf8').matchAll(IMPORT)].map((m) => ({ from, to: resolveImport(from, (m[1] ?? m[2]) as string) })),
)

/** The feature folder (`services/<feature>/`) a file belongs to, or null. */
function featureOf(file: string): string | null {
  const rel = relative(SERVICES, file)
  if (rel.startsWith('..')) return null
  const parts = rel.split('/')
  return parts.length > 1 ? (parts[0] as string) : null
}

/** Edges from outside a feature folder into one of its files other than its index.ts. */
const reachingIn = (all: Edge[]) =>
  all.filter((e) => {
    const target = featureOf(e.to)
    return target !== null && target !== featureOf(e.from) && !e.to.endsWith(`${target}/index.ts`)
  })

/**
 * Where batching still leaks out of storage (issue 15 moves each into an intent-level repository);
 * the list only shrinks: a new leak fails the test.
 */
const BATCHING_DEBT: string[] = []

const show = (e: Edge) => `${relative(SRC, e.from)} -> ${relative(SRC, e.to)}`

describe('the import graph (STYLE.md: a folder per feature)', () => {
  it('reads the source tree', () => {
    expect(edges.length).toBeGreaterThan(100)
    expect(new Set(edges.map((e) => featureOf(e.to)).filter(Boolean)).size).toBeGreaterThanOrEqual(8)
  })

  it('enters a feature folder of services/ only through its index.ts', () => {
    expect(reachingIn(edges).map(show)).toEqual([])
  })

  it('keeps batching, statements and the D1/KV bindings out of services/, routes/ and middleware/', () => {
    const layers = ['services', 'routes', 'middleware'].map((d) => join(SRC, d))
    const inLayers = filesUnder(SRC).filter((f) => layers.some((d) => f.startsWith(`${d}/`)))
    const storageInternals = edges
      .filter((e) => inLayers.includes(e.from))
      .filter((e) => /storage\/db\/(prepared|client)\.ts$/.test(e.to))
      .map(show)
    const FORBIDDEN = /\bdeps\.(db|kv)\b|\$client|\brunBatch\b|\bBatchStatement\b|\w+Statements?\(|from 'drizzle-orm/
    const uses = inLayers.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          FORBIDDEN.test(line) && !/^\s*(\*|\/\/)/.test(line) ? [`${relative(SRC, file)}:${i + 1}: ${line.trim()}`] : [],
        ),
    )
    const leaking = new Set([...storageInternals, ...uses].map((v) => v.split(/[ :]/)[0]))
    expect([...leaking].sort()).toEqual(BATCHING_DEBT)
  })

  it('catches a file reaching into another feature, and allows its index and its own files', () => {
    const at = (p: string) => join(SERVICES, p)
    const probe: Edge[] = [
      { from: at('account/me.ts'), to: at('otp/otp.ts') },
      { from: join(SRC, 'routes/me.ts'), to: at('account/me.ts') },
      { from: at('account/me.ts'), to: at('otp/index.ts') },
      { from: at('otp/index.ts'), to: at('otp/otp.ts') },
      { from: at('account/me.ts'), to: at('identifiers.ts') },
    ]
    expect(reachingIn(probe).map(show)).toEqual([
      'services/account/me.ts -> services/otp/otp.ts',
      'routes/me.ts -> services/account/me.ts',
    ])
  })
})

describe('service functions (STYLE.md: more than three parameters take an object)', () => {
  /** `file:line (n)` of every function in `files` with more than three parameters. */
  function longSignatures(files: string[]): string[] {
    return files.flatMap((file) => {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
      const found: string[] = []
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && node.parameters.length > 3) {
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1
          found.push(`${relative(SRC, file)}:${line} (${node.parameters.length})`)
        }
        ts.forEachChild(node, visit)
      }
      visit(source)
      return found
    })
  }

  it('have at most three positional parameters', () => {
    expect(longSignatures(filesUnder(SERVICES))).toEqual([])
  })

  it('would catch one with four', () => {
    const probe = join(ROOT, 'test/node/fixtures/four-parameters.ts')
    expect(longSignatures([probe])).toEqual(['../test/node/fixtures/four-parameters.ts:2 (4)'])
  })
})
