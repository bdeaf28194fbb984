// Reads back what mailtrack wrote, with the AWS SDK for JavaScript: an
// independent client, so the tests do not trust mailtrack to check itself.
//
//   node read-back.mjs ddb-items ENDPOINT TABLE   one JSON object per item,
//                                                 plain values, sorted by pk, sk
//   node read-back.mjs ddb-ttl ENDPOINT TABLE     the table's key schema and TTL
//   node read-back.mjs s3-object ENDPOINT BUCKET KEY
//        {"contentType":..., "length":..., "sha256":...} then the body on
//        standard error is not used; the body is written to the file named
//        by READ_BACK_BODY when set
//   node read-back.mjs s3-list ENDPOINT BUCKET    one key per line
//   node read-back.mjs fault-stats PROXY          what the fault proxy injected
//
// Credentials and region are dummies: the stand-ins do not check signatures.

import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const { DynamoDBClient, ScanCommand, DescribeTableCommand, DescribeTimeToLiveCommand } =
    require('@aws-sdk/client-dynamodb');
const { S3Client, GetObjectCommand, ListObjectsV2Command } = require('@aws-sdk/client-s3');

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const region = 'us-east-1';

function plain(item) {
    const out = {};
    for (const [k, v] of Object.entries(item)) {
        if ('S' in v) out[k] = v.S;
        else if ('N' in v) out[k] = Number(v.N);
        else if ('B' in v) out[k] = { B: Buffer.from(v.B).toString('base64') };
        else out[k] = v;
    }
    return out;
}

async function ddbItems(endpoint, table) {
    const c = new DynamoDBClient({ endpoint, region, credentials });
    const items = [];
    let start;
    do {
        const r = await c.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...r.Items.map(plain));
        start = r.LastEvaluatedKey;
    } while (start);
    items.sort((a, b) => (a.pk + '\u0000' + a.sk < b.pk + '\u0000' + b.sk ? -1 : 1));
    for (const i of items) process.stdout.write(`${JSON.stringify(i)}\n`);
}

async function ddbTtl(endpoint, table) {
    const c = new DynamoDBClient({ endpoint, region, credentials });
    const t = await c.send(new DescribeTableCommand({ TableName: table }));
    const ttl = await c.send(new DescribeTimeToLiveCommand({ TableName: table }));
    process.stdout.write(`${JSON.stringify({ keys: t.Table.KeySchema,
        indexes: (t.Table.GlobalSecondaryIndexes || []).map((g) => g.IndexName),
        ttl: ttl.TimeToLiveDescription })}\n`);
}

async function s3Object(endpoint, bucket, key) {
    const c = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
    const r = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(await r.Body.transformToByteArray());
    if (process.env.READ_BACK_BODY) fs.writeFileSync(process.env.READ_BACK_BODY, body);
    process.stdout.write(`${JSON.stringify({ contentType: r.ContentType, length: body.length,
        sha256: crypto.createHash('sha256').update(body).digest('hex') })}\n`);
}

async function s3List(endpoint, bucket) {
    const c = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
    const r = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const o of r.Contents || []) process.stdout.write(`${o.Key}\n`);
}

async function faultStats(proxy) {
    const r = await fetch(`${proxy}/stats`);
    process.stdout.write(`${await r.text()}\n`);
}

const [cmd, ...rest] = process.argv.slice(2);
const commands = { 'ddb-items': ddbItems, 'ddb-ttl': ddbTtl, 's3-object': s3Object,
                   's3-list': s3List, 'fault-stats': faultStats };
if (!commands[cmd]) {
    process.stderr.write(`read-back: unknown command '${cmd}'\n`);
    process.exit(2);
}
commands[cmd](...rest).catch((e) => {
    process.stderr.write(`read-back: ${e.name}: ${e.message}\n`);
    process.exit(1);
});
