// Run inside a network namespace (`ip netns exec NAME node --import tsx test/helpers/netnsBridge.ts
// FROM=TO …`): forwards each FROM endpoint (tcp:PORT on the namespace's loopback, or unix:PATH) to
// its TO endpoint, and prints "bridge ready" once all listen.
import { forward, parseEndpoint } from './socketForward';

async function main() {
  for (const spec of process.argv.slice(2)) {
    const [from, to] = spec.split('=');
    await forward(parseEndpoint(from!), parseEndpoint(to!));
  }
  process.stdout.write('bridge ready\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
