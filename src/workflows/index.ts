// Everything the worker registers as workflows. Deterministic code only.
export { fanOutEvent } from './fanOutEvent';
export { deliverToEndpoint } from './deliverToEndpoint';
export { endpointHealth } from './endpointHealth';
