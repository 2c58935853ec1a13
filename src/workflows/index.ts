// Everything the worker registers as workflows. Deterministic code only.
export { dispatchEvents } from './dispatchEvents';
export { deliverToEndpoint } from './deliverToEndpoint';
export { endpointHealth } from './endpointHealth';
