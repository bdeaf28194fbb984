// SPDX-License-Identifier: Apache-2.0
//
// The SMTP server the send-test integration tests talk to: smtp-server from
// tests/peers on 127.0.0.1, a free port, with a self-signed certificate made
// here with `openssl req`.  It records what it saw into DIR/record.json after
// every event and when it gets SIGTERM:
//
//   commands: every command line, with its connection id and whether TLS was
//             active when it arrived (so an AUTH on a plain connection shows);
//   auth:     every AUTH attempt that reached the server, with the same flag;
//   messages: envelope (MAIL FROM, RCPT TO), TLS flag and the raw message as
//             received (dot-stuffing already removed by smtp-server).
//
// Usage: node smtp_peer.mjs --peers DIR --dir DIR --mode starttls|implicit|plain|silent|hangup
//            [--user NAME --pass PASSWORD] [--reject-rcpt ADDRESS]... [--reject-data]
//            [--drop-data] [--login-only]
// Prints "PORT <n>" on stdout once listening.
//
// Modes: starttls (STARTTLS offered, AUTH only after it), implicit (TLS from
// the first byte), plain (no STARTTLS, AUTH accepted in clear so that any
// attempt is recorded), silent (accepts connections and never says a word;
// smtp-server cannot do that, so it is a bare socket), hangup (accepts
// connections and closes each at once, before any greeting; a bare socket
// too).  --drop-data closes the
// connection once the message has arrived, before the reply to its end.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

function parseArgs(argv) {
    const opts = { rejectRcpt: [], rejectData: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => argv[++i];
        if (a === '--peers') opts.peers = next();
        else if (a === '--dir') opts.dir = next();
        else if (a === '--mode') opts.mode = next();
        else if (a === '--user') opts.user = next();
        else if (a === '--pass') opts.pass = next();
        else if (a === '--reject-rcpt') opts.rejectRcpt.push(next());
        else if (a === '--reject-data') opts.rejectData = true;
        else if (a === '--drop-data') opts.dropData = true;
        else if (a === '--login-only') opts.loginOnly = true;
        else throw new Error(`smtp_peer: unknown argument '${a}'`);
    }
    if (!opts.peers || !opts.dir || !opts.mode) throw new Error('smtp_peer: --peers, --dir and --mode are required');
    return opts;
}

const opts = parseArgs(process.argv.slice(2));
const record = { commands: [], auth: [], messages: [] };
const recordPath = path.join(opts.dir, 'record.json');
const save = () => fs.writeFileSync(recordPath, JSON.stringify(record, null, 1));

function makeCertificate(dir) {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', key, '-out', cert,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

function announce(server) {
    server.listen(0, '127.0.0.1', () => {
        process.stdout.write(`PORT ${(server.server ?? server).address().port}\n`);
    });
    const stop = () => {
        save();
        process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Leave when the test that started us is gone, even if it never said so.
    const parent = process.ppid;
    setInterval(() => {
        try {
            process.kill(parent, 0);
        } catch {
            stop();
        }
    }, 1000).unref();
}

function silentServer() {
    const sockets = [];
    const server = net.createServer((s) => {
        sockets.push(s);
        s.on('error', () => {});
    });
    save();
    announce(server);
}

function hangupServer() {
    const server = net.createServer((s) => {
        s.on('error', () => {});
        s.destroy();
    });
    save();
    announce(server);
}

// Tracks, per connection, whether TLS is active, from smtp-server's own log
// records: "connection" opens one, "starttls" upgrades it, "command" is a line.
function makeLogger(implicitTls) {
    const secure = new Map();
    const ignore = () => {};
    const entry = (data, message, ...args) => {
        if (!data || data.cid === undefined) return;
        if (!secure.has(data.cid)) secure.set(data.cid, implicitTls);
        if (data.tnx === 'starttls') secure.set(data.cid, true);
        if (data.tnx === 'command') {
            record.commands.push({
                cid: data.cid,
                cmd: data.command,
                line: String(args[0] ?? '').trim(),
                tls: secure.get(data.cid),
            });
            save();
        }
    };
    return { trace: ignore, debug: entry, info: entry, warn: ignore, error: ignore, fatal: ignore };
}

function smtpServer(SMTPServer) {
    const tls = makeCertificate(opts.dir);
    let counter = 0;
    const server = new SMTPServer({
        secure: opts.mode === 'implicit',
        key: tls.key,
        cert: tls.cert,
        hideSTARTTLS: opts.mode === 'plain',
        disabledCommands: opts.mode === 'plain' ? ['STARTTLS'] : [],
        allowInsecureAuth: opts.mode === 'plain',
        authMethods: opts.loginOnly ? ['LOGIN'] : ['PLAIN', 'LOGIN'],
        disableReverseLookup: true,
        logger: makeLogger(opts.mode === 'implicit'),
        onAuth(auth, conn, callback) {
            record.auth.push({ method: auth.method, username: auth.username, password: auth.password,
                               tls: !!conn.secure });
            save();
            if (auth.username === opts.user && auth.password === opts.pass) return callback(null, { user: auth.username });
            const err = new Error('Authentication Credentials Invalid');
            err.responseCode = 535;
            return callback(err);
        },
        onRcptTo(address, conn, callback) {
            if (opts.rejectRcpt.includes(address.address)) {
                const err = new Error('Message rejected: Email address is not verified.');
                err.responseCode = 554;
                return callback(err);
            }
            return callback();
        },
        onData(stream, conn, callback) {
            const chunks = [];
            stream.on('data', (c) => chunks.push(c));
            stream.on('end', () => {
                record.messages.push({
                    mailFrom: conn.envelope.mailFrom.address,
                    rcptTo: conn.envelope.rcptTo.map((r) => r.address),
                    tls: !!conn.secure,
                    user: conn.user ?? null,
                    raw: Buffer.concat(chunks).toString('utf8'),
                });
                save();
                if (opts.dropData) {
                    for (const c of server.connections) if (c.id === conn.id) c._socket.destroy();
                    return undefined;
                }
                if (opts.rejectData) {
                    const err = new Error('Message rejected: Email address is not verified. '
                                          + 'The following identities failed the check: sender');
                    err.responseCode = 554;
                    return callback(err);
                }
                counter += 1;
                return callback(null, `Ok 0100019a0b1c2d3e-test${counter}-000000`);
            });
        },
    });
    server.on('error', () => {});
    save();
    announce(server);
}

if (opts.mode === 'silent') {
    silentServer();
} else if (opts.mode === 'hangup') {
    hangupServer();
} else if (['starttls', 'implicit', 'plain'].includes(opts.mode)) {
    const require = createRequire(path.join(path.resolve(opts.peers), 'package.json'));
    smtpServer(require('smtp-server').SMTPServer);
} else {
    throw new Error(`smtp_peer: unknown mode '${opts.mode}'`);
}
