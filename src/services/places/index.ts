export { createPlace, listPlaces } from './places'
