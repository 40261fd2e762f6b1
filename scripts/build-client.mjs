// `npm run build:client`: builds client/, the typed client apps import (`edge-auth/client`):
// index.js, the JavaScript of src/client.ts (createClient over hono/client), and index.d.ts, its
// declarations from `tsc --emitDeclarationOnly` (tsconfig.client.json). The declarations spell the
// routes' types out and import only from `hono`, so a browser or React Native project type-checks
// them under its own lib (DOM) without the server's Workers and Node types. client/ is committed;
// test/node/client.test.ts fails when it differs from a fresh build, and type-checks a consumer.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HEADER = '// Generated from src/client.ts by `npm run build:client`: do not edit.\n'
const ALLOWED_IMPORTS = /^(hono|hono\/.+)$/

/** The files of client/ as a fresh build makes them: name -> content. */
export function buildClient(root = ROOT) {
  const out = mkdtempSync(join(tmpdir(), 'edge-auth-client-'))
  try {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.client.json'), '--outDir', out], {
      encoding: 'utf8',
    })
    if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`)
    const dts = readFileSync(join(out, 'client.d.ts'), 'utf8')
    const imported = [...dts.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1])
    const foreign = imported.filter((spec) => !ALLOWED_IMPORTS.test(spec))
    if (foreign.length > 0) throw new Error(`client.d.ts imports more than hono: ${[...new Set(foreign)].join(', ')}`)
    const source = readFileSync(join(root, 'src', 'client.ts'), 'utf8')
    const js = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
    }).outputText
    return { 'index.d.ts': HEADER + dts, 'index.js': HEADER + js }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = buildClient()
  mkdirSync(join(ROOT, 'client'), { recursive: true })
  for (const [name, content] of Object.entries(files)) writeFileSync(join(ROOT, 'client', name), content)
  console.log(`[build:client] client/${Object.keys(files).join(', client/')}`)
}
