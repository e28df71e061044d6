// Drives petrel with imapflow (Node), as a mail app does: TLS login, list
// folders, append, fetch (envelope, structure, source), flag, move, IDLE
// that sees a delivery made by `petrel deliver` in another process.
// Prints "ok NAME" or "FAIL NAME: detail" per check; test_imapflow.py counts.
import { ImapFlow } from 'imapflow';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const env = process.env;
let failed = 0;

function check(name, ok, detail) {
    if (ok) {
        console.log(`ok   ${name}`);
    } else {
        failed++;
        console.log(`FAIL ${name}: ${JSON.stringify(detail)}`);
    }
}

function deliver(message) {
    const r = spawnSync(env.PETREL_BIN, ['deliver', env.PETREL_USER, '--data', env.PETREL_DATA],
        { input: message, timeout: 20000 });
    return r.status;
}

const client = new ImapFlow({
    host: '127.0.0.1',
    port: Number(env.PETREL_PORT),
    secure: true,
    tls: { ca: [readFileSync(env.PETREL_CA)], servername: 'localhost' },
    auth: { user: env.PETREL_USER, pass: env.PETREL_PASS },
    logger: false,
    // Re-issue IDLE well inside the server's autologout.
    maxIdleTime: 60000,
});

const message = [
    'From: Ann Example <ann@example.org>',
    'To: Bob <bob@example.net>',
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from imapflow',
    'Date: Mon, 7 Feb 1994 21:52:25 -0800',
    'Message-ID: <imapflow-1@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'plain text',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>html</p>',
    '--b1--',
    '',
].join('\r\n');

async function main() {
    await client.connect();
    check('connect over TLS and log in', client.usable, client.serverInfo);
    check('capabilities include IDLE and UIDPLUS',
        client.capabilities.has('IDLE') && client.capabilities.has('UIDPLUS'),
        [...client.capabilities.keys()]);

    const boxes = await client.list();
    const paths = boxes.map((b) => b.path).sort();
    check('list: the default folders', ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']
        .every((p) => paths.includes(p)), paths);
    const trash = boxes.find((b) => b.path === 'Trash');
    check('list: Trash has \\Trash', trash && trash.specialUse === '\\Trash', trash);

    const appended = await client.append('INBOX', message, ['\\Seen'], new Date('2024-03-01T10:00:00Z'));
    check('append: APPENDUID', appended && appended.uid >= 1 && appended.uidValidity > 0, appended);

    let lock = await client.getMailboxLock('INBOX');
    try {
        check('select: one message', client.mailbox.exists === 1, client.mailbox);
        const msg = await client.fetchOne('*', { envelope: true, bodyStructure: true, source: true,
            flags: true, internalDate: true, uid: true, size: true });
        check('fetch: envelope subject decoded', msg.envelope.subject === 'Grüße from imapflow',
            msg.envelope.subject);
        check('fetch: envelope from', msg.envelope.from[0].address === 'ann@example.org',
            msg.envelope.from);
        check('fetch: bodystructure multipart/alternative with two parts',
            msg.bodyStructure.type === 'multipart/alternative' &&
            msg.bodyStructure.childNodes.length === 2 &&
            msg.bodyStructure.childNodes[1].type === 'text/html', msg.bodyStructure);
        check('fetch: source byte for byte', msg.source.toString() === message, msg.source.length);
        check('fetch: size', msg.size === Buffer.byteLength(message), msg.size);
        check('fetch: flags from APPEND', msg.flags.has('\\Seen'), [...msg.flags]);
        check('fetch: internal date from APPEND',
            msg.internalDate.toISOString() === '2024-03-01T10:00:00.000Z', msg.internalDate);
        const part = await client.download('*', '2');
        const chunks = [];
        for await (const c of part.content) chunks.push(c);
        check('download part 2 (html)', Buffer.concat(chunks).toString() === '<p>html</p>',
            Buffer.concat(chunks).toString());

        await client.messageFlagsAdd({ uid: appended.uid }, ['\\Flagged'], { uid: true });
        const flagged = await client.fetchOne(String(appended.uid), { flags: true }, { uid: true });
        check('flag: \\Flagged set', flagged.flags.has('\\Flagged'), [...flagged.flags]);
        const found = await client.search({ flagged: true, subject: 'imapflow' });
        check('search: flagged and subject', found.length === 1, found);

        const moved = await client.messageMove({ uid: appended.uid }, 'Archive', { uid: true });
        check('move to Archive: COPYUID', moved && moved.uidMap && moved.uidMap.size === 1, moved);
        check('move: INBOX empty', client.mailbox.exists === 0, client.mailbox.exists);
    } finally {
        lock.release();
    }
    const status = await client.status('Archive', { messages: true, unseen: true });
    check('status: Archive holds it, seen', status.messages === 1 && status.unseen === 0, status);

    // IDLE, as imapflow's own idle() issues it on the open mailbox: a
    // delivery by another process must arrive as EXISTS.
    lock = await client.getMailboxLock('INBOX');
    try {
        const seen = new Promise((resolve) => {
            client.on('exists', (data) => resolve(data));
            setTimeout(() => resolve(null), 10000);
        });
        const idling = client.idle();
        await new Promise((r) => setTimeout(r, 300));   // let IDLE start
        check('IDLE: the client is idling', client.idling === true, client.idling);
        const code = deliver('Subject: delivered while idle\r\n\r\nhello\r\n');
        check('petrel deliver exits 0', code === 0, code);
        const ev = await seen;
        check('IDLE: the delivery arrives as EXISTS', ev && ev.count === 1, ev);
        const msg = await client.fetchOne('*', { envelope: true });   // ends the IDLE
        check('IDLE: and is the delivered message',
            msg && msg.envelope && msg.envelope.subject === 'delivered while idle', msg);
        await idling;
    } finally {
        lock.release();
    }
    await client.logout();
    check('logout', true);
}

try {
    await main();
} catch (err) {
    check('no exception', false, String(err && err.stack || err));
    try { client.close(); } catch (e) { /* closed */ }
}
console.log(`imapflow checks failed: ${failed}`);
process.exit(failed === 0 ? 0 : 1);
