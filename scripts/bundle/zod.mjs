// `zod` for the deployable bundle: see zod-classic.mjs.
import * as z from './zod-classic.mjs'

export * from './zod-classic.mjs'
export { z, z as default }
