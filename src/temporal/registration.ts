import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_NAMES } from './names';
import type { Say } from './goInstall';

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_NOT_FOUND = 5;

export interface RegistrationOptions {
  address: string;
  namespace: string;
  /** How long closed workflows stay visible (and resettable) in Temporal. */
  retentionDays: number;
  /** How long to wait for the server to answer (it may still be starting). */
  timeoutMs?: number;
  say: Say;
}

/**
 * Registers the namespace and Hookferry's search attributes (all Keyword) through the frontend
 * and operator APIs, as a real server needs (the dev server's `--search-attribute` flags do not
 * exist there). Idempotent: what exists is left alone; an attribute registered with another type
 * is an error. Returns once the namespace answers and lists every attribute.
 */
export async function registerNamespaceAndSearchAttributes(opts: RegistrationOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const connection = await retryUntil(deadline, 'the Temporal frontend to answer', opts.say, async () => {
    const c = await Connection.connect({ address: opts.address, connectTimeout: 5_000 });
    try {
      await c.workflowService.getSystemInfo({});
      return c;
    } catch (err) {
      await c.close();
      throw err;
    }
  });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace: opts.namespace,
        workflowExecutionRetentionPeriod: msToTs(`${opts.retentionDays} days`),
        description: 'Hookferry',
      });
      opts.say(`Namespace ${opts.namespace} registered (retention ${opts.retentionDays} days)`);
    } catch (err) {
      if (!(isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS)) throw err;
      opts.say(`Namespace ${opts.namespace} already exists`);
    }
    // The frontend's namespace cache picks a new namespace up within a few seconds.
    await retryUntil(deadline, `namespace ${opts.namespace} to be served`, opts.say, () =>
      connection.workflowService.describeNamespace({ namespace: opts.namespace }),
    );

    const listed = await connection.operatorService.listSearchAttributes({ namespace: opts.namespace });
    const custom = listed.customAttributes ?? {};
    const wrongType = SEARCH_ATTRIBUTE_NAMES.filter((name) => name in custom && custom[name] !== KEYWORD);
    if (wrongType.length > 0) {
      throw new Error(`search attributes ${wrongType.join(', ')} exist in namespace ${opts.namespace} with a type other than Keyword; Hookferry needs Keyword`);
    }
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !(name in custom));
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace: opts.namespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
      });
      opts.say(`Search attributes added: ${missing.join(', ')} (Keyword)`);
    } else {
      opts.say(`Search attributes already registered: ${SEARCH_ATTRIBUTE_NAMES.join(', ')}`);
    }
    await retryUntil(deadline, 'the search attributes to be listed', opts.say, async () => {
      const now = (await connection.operatorService.listSearchAttributes({ namespace: opts.namespace })).customAttributes ?? {};
      const absent = SEARCH_ATTRIBUTE_NAMES.filter((name) => now[name] !== KEYWORD);
      if (absent.length > 0) throw new Error(`not listed yet: ${absent.join(', ')}`);
    });
  } finally {
    await connection.close();
  }
}

/** Retries `fn` every second until it resolves or `deadline` passes (then throws its last error). */
async function retryUntil<T>(deadline: number, what: string, say: Say, fn: () => Promise<T>): Promise<T> {
  let lastReport = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${detail}`);
      if (isGrpcServiceError(err) && err.code !== GRPC_NOT_FOUND && err.code !== 14 /* UNAVAILABLE */ && err.code !== 4 /* DEADLINE_EXCEEDED */) {
        throw err;
      }
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        say(`  waiting for ${what} (${detail.split('\n')[0]})`);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
