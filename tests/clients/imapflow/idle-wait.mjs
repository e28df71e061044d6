// One imapflow session in IDLE on INBOX (tests/clients/test_postfix.py):
// prints "IDLING" once idling, then "EXISTS <count> <subject>" when a new
// message arrives, and exits 0; "TIMEOUT" and exit 1 after 30 s.
import { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';

const env = process.env;
const client = new ImapFlow({
    host: '127.0.0.1',
    port: Number(env.PETREL_PORT),
    secure: true,
    tls: { ca: [readFileSync(env.PETREL_CA)], servername: 'localhost' },
    auth: { user: env.PETREL_USER, pass: env.PETREL_PASS },
    logger: false,
});
const timer = setTimeout(() => { console.log('TIMEOUT'); process.exit(1); }, 30000);

await client.connect();
const lock = await client.getMailboxLock('INBOX');
const before = client.mailbox.exists;
const arrived = new Promise((resolve) => client.on('exists', resolve));
const idling = client.idle();
await new Promise((r) => setTimeout(r, 300));
console.log(client.idling ? 'IDLING' : 'NOT-IDLING');
const ev = await arrived;
const msg = await client.fetchOne('*', { envelope: true });
console.log(`EXISTS ${ev.count - before} ${msg.envelope.subject}`);
await idling;
lock.release();
await client.logout();
clearTimeout(timer);
process.exit(0);
