// Every workflow the worker registers. Deterministic code only: activities are imported as types.
export { platformBringUp } from './platform-bring-up';
