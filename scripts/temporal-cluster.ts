// `npm run temporal:cluster -- <command>`: Hookferry's production Temporal server (not the dev
// server) on PostgreSQL, with the config kept in deploy/temporal/.
//
//   ensure     find or build temporal-server and temporal-sql-tool (Go modules, cached in ~/.cache/hookferry/bin)
//   setup      create the databases if needed and create/upgrade their schemas
//   register   register the namespace and Hookferry's search attributes on a running server
//   start      setup, start the server, register, and keep it running until Ctrl-C
//
// Settings come from the environment: TEMPORAL_DB_* and the others listed at the top of
// deploy/temporal/config.yaml; TEMPORAL_NAMESPACE (default `default`),
// TEMPORAL_NAMESPACE_RETENTION_DAYS (3) and, for `register`, TEMPORAL_ADDRESS.
// docker-compose.yml runs `setup` and `register` from this same script.
import { readSetting } from '../src/settings';
import { SEARCH_ATTRIBUTE_NAMES } from '../src/temporal/names';
import { registerNamespaceAndSearchAttributes } from '../src/temporal/registration';
import { clusterSettings, ensureTemporalServerBinaries, setupTemporalSchemas, startTemporalServer } from '../src/temporal/server';

const say = (line: string) => console.log(line);

function registration(address: string) {
  return {
    address,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    retentionDays: readSetting('TEMPORAL_NAMESPACE_RETENTION_DAYS'),
    say,
  };
}

async function setup() {
  const { 'temporal-sql-tool': sqlTool } = await ensureTemporalServerBinaries(['temporal-sql-tool']);
  await setupTemporalSchemas(sqlTool, clusterSettings(), say);
}

async function main() {
  const command = process.argv[2];
  switch (command) {
    case 'ensure': {
      const found = await ensureTemporalServerBinaries(['temporal-server', 'temporal-sql-tool']);
      for (const [name, p] of Object.entries(found)) console.log(`${name}: ${p}`);
      return;
    }
    case 'setup':
      await setup();
      return;
    case 'register':
      await registerNamespaceAndSearchAttributes(registration(process.env.TEMPORAL_ADDRESS || clusterSettings().frontendAddress));
      return;
    case 'start': {
      const { 'temporal-server': serverPath } = await ensureTemporalServerBinaries(['temporal-server', 'temporal-sql-tool']);
      await setup();
      const started = Date.now();
      const server = await startTemporalServer({ serverPath, log: (line) => process.stderr.write(`${line}\n`) });
      say(`Temporal server (pid ${server.process.pid}) listening on ${server.address}`);
      const stop = () => void server.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      server.process.on('exit', (code, signal) => {
        console.error(`temporal-server exited (${signal ?? code})`);
        process.exit(code ?? 1);
      });
      // A server whose registration failed is of no use to Hookferry: stop it rather than leave it running.
      await registerNamespaceAndSearchAttributes(registration(server.address)).catch(async (err) => {
        server.process.removeAllListeners('exit');
        await server.stop();
        throw err;
      });
      say(`Ready ${((Date.now() - started) / 1000).toFixed(1)}s after start. Point Hookferry at it: TEMPORAL_ADDRESS=${server.address}`);
      say(`(namespace ${registration(server.address).namespace}, search attributes ${SEARCH_ATTRIBUTE_NAMES.join(', ')}). Ctrl-C stops it.`);
      return;
    }
    default:
      console.error('usage: npm run temporal:cluster -- ensure|setup|register|start');
      process.exit(2);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
