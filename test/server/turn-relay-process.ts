import { createRelay } from '../../signaling-server/relay/turn-server.ts';

// The relay alone in a child process, so a test can see whether anything a client sends makes the process
// exit. Every peer id counts as a member; TURN_SECRET (hex) is the credential key. Prints `READY <port>`;
// the end of stdin closes it.

const secret = Buffer.from(process.env['TURN_SECRET'] ?? '', 'hex');
const relay = await createRelay({ ips: ['127.0.0.1'], port: 0, stun: true, turn: true, secret, isMember: () => true });
console.log(`READY ${relay.port}`);
process.stdin.once('end', () => void relay.close().then(() => process.exit(0))).resume();
