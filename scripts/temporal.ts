// `npm run temporal`: finds (or builds) the Temporal CLI and runs a dev server with
// Hookferry's search attributes, until Ctrl-C; in memory unless TEMPORAL_DB_FILE names a file.
// `npm run temporal -- --ensure` only builds it.
import { temporalStateFile } from '../src/devStack/temporal';
import { ensureTemporalCli } from '../src/temporal/cli';
import { startDevServer } from '../src/temporal/devServer';

async function main() {
  const cliPath = await ensureTemporalCli();
  if (process.argv.includes('--ensure')) {
    console.log(cliPath);
    return;
  }
  const server = await startDevServer({ cliPath, dbFile: temporalStateFile(process.env, undefined) });
  console.log(`Temporal dev server on ${server.address}; Web UI: ${server.uiUrl}`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
