// Every workflow the worker registers. Deterministic code only: activities are imported as types.
export { platformBringUp } from './platform-bring-up';
export { monthlyYellowTrips } from './monthly-yellow-trips';
export { yellowTripsBackfill, scheduledYellowTrips } from './yellow-trips-backfill';
export { platformWatch } from './platform-watch';
