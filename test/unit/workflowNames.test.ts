import * as workflows from '../../src/workflows';
import { DELIVERY_WORKFLOW_TYPE, DISPATCH_WORKFLOW_TYPE, HEALTH_WORKFLOW_TYPE } from '../../src/temporal/names';

test('the names clients start workflows by are workflows the worker registers', () => {
  const registered = workflows as Record<string, unknown>;
  for (const name of [DISPATCH_WORKFLOW_TYPE, DELIVERY_WORKFLOW_TYPE, HEALTH_WORKFLOW_TYPE]) expect(typeof registered[name]).toBe('function');
});
