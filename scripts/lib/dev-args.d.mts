// Types of dev-args.mjs (plain JavaScript: `npm run dev` runs it with node, no build step).
export function optionValues(args: string[], name: string, options?: { array?: boolean }): string[]
export function cliVarNames(args: string[]): string[]
export function localUrl(args: string[]): string
export function followPortVars(args: string[], isSet: (name: string) => boolean): string[]
export function varsSetInConfig(options?: {
  configPath?: string
  envFiles?: string[]
  environment?: string
}): Promise<Set<string>>
