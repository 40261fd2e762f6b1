// What `npm run dev` reads in the `wrangler dev` arguments it passes on (scripts/dev.mjs).

/** Every value of a wrangler option: `--name v`, `--name=v`, and for array options `--name a b`. */
export function optionValues(args, name, { array = false } = {}) {
  const values = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1))
    else if (arg === name) {
      while (i + 1 < args.length && !args[i + 1].startsWith('-')) {
        values.push(args[++i])
        if (!array) break
      }
    }
  }
  return values
}

/** The names given values with `--var NAME:VALUE` (yargs array option: `--var A:1 B:2` too). */
export function cliVarNames(args) {
  return optionValues(args, '--var', { array: true }).map((v) => v.split(':')[0])
}

/** The local URL `wrangler dev` answers on with these arguments (port 8787 unless `--port`). */
export function localUrl(args) {
  const port = optionValues(args, '--port').at(-1) ?? '8787'
  const protocol = optionValues(args, '--local-protocol').at(-1) === 'https' ? 'https' : 'http'
  return `${protocol}://localhost:${port}`
}

/**
 * SPEC §10: PUBLIC_URL and JWT_ISSUER follow the port of `npm run dev` unless set explicitly
 * (`--var`, wrangler.toml's [vars], `.dev.vars` or an `--env-file`): the `--var` arguments that
 * make them follow it. `isSet(name)` tells whether the configuration files set `name`.
 */
export function followPortVars(args, isSet) {
  const given = new Set(cliVarNames(args))
  const url = localUrl(args)
  return ['PUBLIC_URL', 'JWT_ISSUER']
    .filter((name) => !given.has(name) && !isSet(name))
    .flatMap((name) => ['--var', `${name}:${url}`])
}

/**
 * The names of the vars wrangler itself would load for `wrangler dev` (wrangler.toml's [vars] of
 * `environment`, then `.dev.vars` or the `envFiles`), read with wrangler's own code.
 */
export async function varsSetInConfig({ configPath = 'wrangler.toml', envFiles = [], environment } = {}) {
  const { unstable_readConfig, unstable_getVarsForDev } = await import('wrangler')
  const config = unstable_readConfig({ config: configPath, env: environment }, { hideWarnings: true })
  const path = config.userConfigPath ?? config.configPath ?? configPath
  const files = envFiles.length > 0 ? envFiles : undefined
  return new Set(Object.keys(unstable_getVarsForDev(path, files, config.vars, environment, true)))
}
