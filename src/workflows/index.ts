// Everything the worker registers as workflows. Deterministic code only.
export { dispatchEvents } from './dispatchEvents';
export { deliverToEndpoint } from './deliverToEndpoint';
export { endpointHealth } from './endpointHealth';
// No longer started (events are dispatched in batches by dispatchEvents); registered so
// fan-outs started by earlier versions still finish.
export { fanOutEvent } from './fanOutEvent';
