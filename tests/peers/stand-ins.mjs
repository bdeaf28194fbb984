// Starts the local stand-ins that mailtrack's integration tests talk to, each
// on 127.0.0.1 and a free port, and prints one JSON line saying where they
// listen: {"dynamodb": url, "s3": url, "fault": url}.  Runs until SIGTERM or
// until standard input closes, so a test that dies does not leave it behind.
//
// Usage: node stand-ins.mjs [--dynamodb] [--s3 BUCKET] [--fault SPEC]
//
// --fault puts a proxy of our own in front of dynalite that injects what
// dynalite never does (it never throttles): SPEC is comma-separated name=value
// pairs, rates between 0 and 1 applied to BatchWriteItem and Query:
//   throttle   400 ThrottlingException / ProvisionedThroughputExceededException
//   error500   500 InternalServerError, after forwarding (the write happened)
//   reset      the connection is destroyed without a reply
//   slow       the reply is held back for slow_ms (default 1500)
//   partial    BatchWriteItem forwards only some items and returns the rest
//              as UnprocessedItems
//   always     every BatchWriteItem is throttled (1 or 0)
//   fail_after every BatchWriteItem after the first fail_after is throttled
//   seed       seed of the deterministic random choices
// Counters of what was injected are served at GET /stats on the proxy, and
// POST /faults with a JSON object (e.g. {"always":1}) changes the rates while
// it runs, so a test can take DynamoDB "down" and bring it back at an exact
// point.

import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';

const require = createRequire(import.meta.url);

function parseArgs(argv) {
    const args = { dynamodb: false, s3: null, fault: null };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--dynamodb') args.dynamodb = true;
        else if (argv[i] === '--s3') args.s3 = argv[++i];
        else if (argv[i] === '--fault') args.fault = argv[++i];
        else throw new Error(`unknown argument '${argv[i]}'`);
    }
    return args;
}

function parseFault(spec) {
    const f = { throttle: 0, error500: 0, reset: 0, slow: 0, partial: 0, always: 0, seed: 1,
                slow_ms: 1500, fail_after: -1 };
    for (const pair of spec.split(',').filter(Boolean)) {
        const [k, v] = pair.split('=');
        if (!(k in f)) throw new Error(`unknown fault '${k}'`);
        f[k] = Number(v);
    }
    return f;
}

// A small deterministic generator (mulberry32), so a failing run can be replayed.
function random(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function listen(server) {
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function forward(target, req, body) {
    return new Promise((resolve, reject) => {
        const out = http.request({ host: '127.0.0.1', port: target, method: req.method,
                                   path: req.url, headers: req.headers }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                         body: Buffer.concat(chunks) }));
        });
        out.on('error', reject);
        out.end(body);
    });
}

function awsError(res, status, type, message) {
    const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0',
                            'content-length': Buffer.byteLength(body) });
    res.end(body);
}

// Forwards part of a BatchWriteItem and hands the rest back as unprocessed.
async function partialBatch(target, req, body, rnd, res) {
    const doc = JSON.parse(body);
    const [table] = Object.keys(doc.RequestItems);
    const all = doc.RequestItems[table];
    const keep = all.filter(() => rnd() < 0.5);
    const rest = all.filter((r) => !keep.includes(r));
    if (keep.length > 0) {
        const sub = Buffer.from(JSON.stringify({ RequestItems: { [table]: keep } }));
        const headers = { ...req.headers, 'content-length': String(sub.length) };
        const r = await forward(target, { ...req, headers }, sub);
        if (r.status !== 200) {
            res.writeHead(r.status, r.headers);
            res.end(r.body);
            return;
        }
    }
    const reply = JSON.stringify({ UnprocessedItems: rest.length ? { [table]: rest } : {} });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0',
                         'content-length': Buffer.byteLength(reply) });
    res.end(reply);
}

function faultProxy(target, f) {
    const rnd = random(f.seed);
    const stats = { requests: 0, throttle: 0, error500: 0, reset: 0, slow: 0, partial: 0,
                    batches: 0 };
    return http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', async () => {
            const body = Buffer.concat(chunks);
            if (req.method === 'GET' && req.url === '/stats') {
                res.end(JSON.stringify(stats));
                return;
            }
            if (req.method === 'POST' && req.url === '/faults') {
                Object.assign(f, JSON.parse(body.toString() || '{}'));
                res.end(JSON.stringify(f));
                return;
            }
            stats.requests++;
            const op = String(req.headers['x-amz-target'] || '').split('.')[1] || '';
            const faulty = op === 'BatchWriteItem' || op === 'Query';
            try {
                await handle(op, faulty, body);
            } catch (e) {
                res.destroy();
            }
        });

        async function handle(op, faulty, body) {
            if (op === 'BatchWriteItem') stats.batches++;
            if (op === 'BatchWriteItem' &&
                (f.always || (f.fail_after >= 0 && stats.batches > f.fail_after))) {
                stats.throttle++;
                return awsError(res, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
            }
            const roll = faulty ? rnd() : 1;
            let edge = f.throttle;
            if (roll < edge) {
                stats.throttle++;
                const type = rnd() < 0.5 ? 'ThrottlingException' : 'ProvisionedThroughputExceededException';
                return awsError(res, 400, type, 'Rate of requests exceeds the allowed throughput.');
            }
            if (roll < (edge += f.reset)) {
                stats.reset++;
                req.socket.destroy();
                return undefined;
            }
            if (roll < (edge += f.slow)) {
                stats.slow++;
                await new Promise((r) => setTimeout(r, f.slow_ms));
            } else if (op === 'BatchWriteItem' && roll < (edge += f.partial)) {
                stats.partial++;
                return partialBatch(target, req, body, rnd, res);
            }
            const r = await forward(target, req, body);
            if (faulty && rnd() < f.error500) {
                stats.error500++;
                return awsError(res, 500, 'InternalServerError', 'Internal server error');
            }
            res.writeHead(r.status, r.headers);
            res.end(r.body);
            return undefined;
        }
    });
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const where = {};
    const closers = [];

    if (args.dynamodb || args.fault) {
        const dynalite = require('dynalite')({ createTableMs: 0, deleteTableMs: 0,
                                               updateTableMs: 0 });
        await listen(dynalite);
        closers.push(() => dynalite.close());
        where.dynamodb = `http://127.0.0.1:${dynalite.address().port}`;
        if (args.fault) {
            const proxy = faultProxy(dynalite.address().port, parseFault(args.fault));
            await listen(proxy);
            closers.push(() => proxy.close());
            where.fault = `http://127.0.0.1:${proxy.address().port}`;
        }
    }
    if (args.s3) {
        const S3rver = require('s3rver');
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-s3rver-'));
        const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir,
                                configureBuckets: [{ name: args.s3 }] });
        const addr = await s3.run();
        closers.push(() => { s3.close(); fs.rmSync(dir, { recursive: true, force: true }); });
        where.s3 = `http://127.0.0.1:${addr.port}`;
    }

    const stop = () => {
        for (const c of closers) c();
        process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.stdin.on('end', stop);
    process.stdin.resume();
    process.stdout.write(`${JSON.stringify(where)}\n`);
}

main().catch((e) => {
    process.stderr.write(`stand-ins: ${e.message}\n`);
    process.exit(1);
});
