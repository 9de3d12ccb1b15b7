import { createInterface } from 'node:readline';
import { startGetting } from '../../node-peer/get.ts';

// One laptop of the Node-peer class (classroom-node-class.ts): `tabswarm get` (node-peer/get.ts, as the CLI runs
// it) started on a line `go <join link> <out dir> <server>` on stdin, so that the class's clock starts with every
// process loaded. Prints `READY` once loaded, `DONE <epoch ms> <files>` when every file is verified on disk.

const lines = createInterface({ input: process.stdin });
console.log('READY');
for await (const line of lines) {
  const [word, target, out, server] = line.trim().split(' ');
  if (word !== 'go' || !target || !out || !server) continue;
  const getting = await startGetting({ target, out, server });
  const paths = await getting.done;
  console.log(`DONE ${Date.now()} ${paths.length}`);
  getting.close();
  process.exit(0);
}
