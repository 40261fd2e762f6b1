export { checkHealth } from './health'
