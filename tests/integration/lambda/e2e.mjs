// The bootstrap program end to end, as Lambda runs it: a clean environment
// with the Lambda variables, the Runtime API stand-in (mt_runtime_api)
// serving events from a file and recording every answer.
//
//   node e2e.mjs CASE --bootstrap PATH --runtime-api PATH --mailtrack PATH --examples DIR
//                     --source DIR
//
// The DynamoDB and S3 cases run against dynalite and s3rver started by
// tests/peers/stand-ins.mjs and read back with the AWS SDK (read-back.mjs).
//
// Runs one case (a function named case_* below); CTest registers each as a
// test labelled `integration`.  Every process is started here, on
// 127.0.0.1, and stopped by its PID; each case works in a fresh temporary
// folder that is removed afterwards.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = { case: process.argv[2] };
for (let i = 3; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-lambda-e2e-'));

function fail(msg) {
  throw new Error(msg);
}

function expect(cond, msg) {
  if (!cond) fail(msg);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts the stand-in on the events (array of JSON texts); resolves when it listens.
async function startApi(name, events, extra = []) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const eventsPath = path.join(dir, 'events.ndjson');
  fs.writeFileSync(eventsPath, events.map((e) => e.replace(/\n/g, '') + '\n').join(''));
  const out = path.join(dir, 'records.ndjson');
  const portFile = path.join(dir, 'port');
  const child = spawn(args['runtime-api'], ['--events', eventsPath, '--out', out, '--port-file', portFile, ...extra],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200 && !fs.existsSync(portFile); i++) await sleep(25);
  expect(fs.existsSync(portFile), 'the Runtime API stand-in did not start');
  const port = fs.readFileSync(portFile, 'utf8').trim();
  return {
    child, address: `127.0.0.1:${port}`, out,
    records: (kind) => fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((r) => !kind || r.kind === kind),
  };
}

async function stopApi(api) {
  if (api.child.exitCode === null) {
    api.child.kill('SIGTERM');
    await new Promise((r) => api.child.once('exit', r));
  }
}

// Runs bootstrap with only the Lambda variables and env; resolves {status, lines}.
function runBootstrap(api, handler, env = {}, timeoutMs = 30000) {
  const lambdaEnv = {
    AWS_LAMBDA_RUNTIME_API: api.address, _HANDLER: handler, LAMBDA_TASK_ROOT: path.dirname(args.bootstrap),
    AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: `mailtrack-${handler}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128', TZ: 'UTC',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token',
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(args.bootstrap, [], { env: lambdaEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('bootstrap did not exit')); }, timeoutMs);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, lines: out.split('\n').filter(Boolean) });
    });
  });
}

function mailtrack(...argv) {
  const r = spawnSync(args.mailtrack, argv, { encoding: 'utf8' });
  expect(r.status === 0 || r.status === 3, `mailtrack ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const examples = () => fs.readFileSync(path.join(args.examples, 'lambda-invocations.ndjson'), 'utf8')
  .split('\n').filter(Boolean);
const scheduled = (time) => JSON.stringify({
  version: '0', id: 'b1c2', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111122223333',
  time, region: 'eu-west-1', resources: ['arn:aws:events:eu-west-1:111122223333:rule/weekly'], detail: {},
});

function sqliteCount(db, sql) {
  const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
  expect(r.status === 0, `sqlite3: ${r.stderr}`);
  return Number(r.stdout.trim());
}

// --------------------------------------------------------------------- cases

async function case_tracker_and_report_match_the_cli() {
  const db = path.join(work, 'lambda.db');
  const events = examples();
  let api = await startApi('tracker', events);
  let run = await runBootstrap(api, 'tracker', { MAILTRACK_STORE: `sqlite:${db}` });
  expect(run.status === 0, `tracker exited ${run.status}`);
  expect(api.records('response').length === events.length, 'not every invocation was answered');
  expect(api.records('error').length === 0, 'an invocation failed');
  const stored = api.records('response').reduce((n, r) => n + JSON.parse(r.body).rows_stored, 0);
  expect(sqliteCount(db, 'select count(*) from events') === stored, 'stored counts differ');
  await stopApi(api);

  const outDir = path.join(work, 'out');
  fs.mkdirSync(outDir);
  api = await startApi('report', [scheduled('2026-11-30T07:00:00Z')]);
  run = await runBootstrap(api, 'report', { MAILTRACK_STORE: `sqlite:${db}`, MAILTRACK_REPORT_OUTPUT: outDir });
  expect(run.status === 0, `report exited ${run.status}`);
  const body = JSON.parse(api.records('response')[0].body);
  expect(body.key === 'reports/2026/email-events-2026-W48.csv', `key ${body.key}`);
  expect(body.week === '2026-W48' && body.rows > 0, `response ${JSON.stringify(body)}`);
  await stopApi(api);

  // The same files through the CLI into a second database.
  const cliDb = path.join(work, 'cli.db');
  const cliOut = path.join(work, 'cli-out');
  fs.mkdirSync(cliOut);
  mailtrack('ingest', '--db', cliDb, path.join(args.examples, 'lambda-invocations.ndjson'));
  mailtrack('report', '--week', '2026-W48', '--db', cliDb, '--out', `${cliOut}/`);
  for (const name of ['email-events-2026-W48.csv', 'email-events-2026-W48.summary.json']) {
    const a = fs.readFileSync(path.join(outDir, '2026', name));
    const b = fs.readFileSync(path.join(cliOut, name));
    expect(a.equals(b), `${name} differs between the Lambda and the CLI`);
  }
}

async function case_duplicate_deliveries_add_nothing() {
  const db = path.join(work, 'lambda.db');
  const events = examples();
  const api = await startApi('tracker', [...events, ...events]);
  const run = await runBootstrap(api, 'tracker', { MAILTRACK_STORE: `sqlite:${db}` });
  expect(run.status === 0, `exited ${run.status}`);
  const bodies = api.records('response').map((r) => JSON.parse(r.body));
  expect(bodies.length === 2 * events.length, 'not every invocation was answered');
  const first = bodies.slice(0, events.length);
  const second = bodies.slice(events.length);
  const stored = first.reduce((n, b) => n + b.rows_stored, 0);
  expect(stored > 0, 'nothing stored');
  expect(second.every((b) => b.rows_stored === 0), 'a repeated delivery stored rows');
  expect(second.reduce((n, b) => n + b.duplicates, 0) === stored, 'duplicates do not match');
  expect(sqliteCount(db, 'select count(*) from events') === stored, 'table grew on repeats');
  await stopApi(api);
}

async function case_dropped_posts_are_retried_and_the_loop_goes_on() {
  const db = path.join(work, 'lambda.db');
  const events = examples().slice(0, 5);
  const api = await startApi('tracker', events, ['--fault', 'post:1:drop', '--fault', 'post:2:drop',
    '--fault', 'post:5:drop', '--fault', 'post:6:400']);
  const run = await runBootstrap(api, 'tracker', { MAILTRACK_STORE: `sqlite:${db}` });
  expect(run.status === 0, `exited ${run.status}`);
  // A 400 is final for its invocation (logged); every other invocation was answered.
  const answered = new Set(api.records('response').map((r) => r.request_id));
  expect(answered.size >= events.length - 1, `answered ${answered.size} of ${events.length}`);
  expect(api.records('dropped').length >= 3, 'the drops did not happen');
  expect(run.lines.some((l) => JSON.parse(l).event === 'post_failed'), 'the refused post was not logged');
  await stopApi(api);
}

async function case_bad_report_event_fails_only_its_invocation() {
  const db = path.join(work, 'lambda.db');
  const outDir = path.join(work, 'out');
  fs.mkdirSync(outDir);
  const api = await startApi('report', ['{"week":"2026-W99"}', 'not json', '{"week":"2026-W48"}']);
  const run = await runBootstrap(api, 'report', { MAILTRACK_STORE: `sqlite:${db}`, MAILTRACK_REPORT_OUTPUT: outDir });
  expect(run.status === 0, `exited ${run.status}`);
  const errors = api.records('error');
  expect(errors.length === 2, `${errors.length} errors`);
  expect(errors[0].error_type === 'MT_ERR_PARSE', `error type ${errors[0].error_type}`);
  expect(JSON.parse(errors[0].body).errorMessage.includes("'week'"), 'the message does not name the field');
  expect(errors[1].error_type === 'MT_ERR_NOT_JSON', `error type ${errors[1].error_type}`);
  expect(api.records('response').length === 1, 'the good event after them was not answered');
  await stopApi(api);
}

async function case_unknown_handler_is_an_init_error() {
  const api = await startApi('init', ['{}']);
  const run = await runBootstrap(api, 'x.tracker', { MAILTRACK_STORE: `sqlite:${path.join(work, 'e.db')}` });
  expect(run.status === 1, `exited ${run.status}`);
  const init = api.records('init_error');
  expect(init.length === 1, 'no init error posted');
  expect(init[0].error_type === 'Runtime.NoSuchHandler', `type ${init[0].error_type}`);
  expect(JSON.parse(init[0].body).errorMessage.includes('tracker, report'), 'valid handlers not named');
  expect(api.records('next').length === 0, 'asked for an invocation after a failed init');
  await stopApi(api);
}

async function case_missing_configuration_is_an_init_error() {
  const api = await startApi('init', ['{}']);
  const run = await runBootstrap(api, 'report', { MAILTRACK_STORE: `sqlite:${path.join(work, 'e.db')}` });
  expect(run.status === 1, `exited ${run.status}`);
  const init = api.records('init_error');
  expect(init.length === 1 && init[0].error_type === 'MT_ERR_CONFIG', 'no MT_ERR_CONFIG init error');
  expect(JSON.parse(init[0].body).errorMessage.includes('S3_BUCKET_NAME'), 'the variable is not named');
  await stopApi(api);
}

async function case_runtime_api_500_ends_the_program() {
  const api = await startApi('exit', ['{}'], ['--fault', 'next:1:500']);
  const run = await runBootstrap(api, 'tracker', { MAILTRACK_STORE: `sqlite:${path.join(work, 'e.db')}` }, 5000);
  expect(run.status === 0, `exited ${run.status}`);
  expect(api.records('response').length === 0 && api.records('error').length === 0, 'posted after a 500');
  await stopApi(api);
}

async function case_logs_are_json_lines_without_addresses() {
  const db = path.join(work, 'lambda.db');
  // Rejected records whose bad values are an address and a subject: the
  // reasons quote them, so they must stay below INFO.
  const sns = (message) => JSON.stringify({ Records: [{ EventSource: 'aws:sns',
    Sns: { Type: 'Notification', MessageId: 'm-1', TopicArn: 'arn:t', Message: message } }] });
  const events = [...examples(), 'not json',
    sns(JSON.stringify({ eventType: 'evil@pii.example', mail: {} })),
    sns(JSON.stringify({ eventType: 'Send', send: {}, mail: { messageId: 'x',
      timestamp: 'victim@pii.example' } }))];
  const api = await startApi('tracker', events);
  const run = await runBootstrap(api, 'tracker', { MAILTRACK_STORE: `sqlite:${db}` });
  expect(run.status === 0, `exited ${run.status}`);
  const records = run.lines.map((l) => JSON.parse(l));
  const info = records.filter((r) => r.event === 'records_ingested');
  expect(info.length === events.length, `${info.length} info lines for ${events.length} invocations`);
  for (const r of records) {
    expect(typeof r.timestamp === 'string' && /Z$/.test(r.timestamp), 'timestamp missing');
    expect(['INFO', 'WARN', 'ERROR', 'FATAL'].includes(r.level), `level ${r.level} at the default level`);
    expect(!/@/.test(r.message), `an address reached the log: ${r.message}`);
  }
  expect(records.some((r) => r.event === 'record_quarantined' && r.requestId), 'reject not logged once');

  // Text format and DEBUG level, as AWS_LAMBDA_LOG_FORMAT / _LEVEL ask.
  await stopApi(api);
  const api2 = await startApi('tracker-text', examples().slice(0, 1));
  const text = await runBootstrap(api2, 'tracker', { MAILTRACK_STORE: `sqlite:${db}`,
    AWS_LAMBDA_LOG_FORMAT: 'Text', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' });
  expect(text.lines.some((l) => /\tDEBUG\t/.test(l)), 'no DEBUG text line');
  expect(text.lines.every((l) => !l.startsWith('{')), 'a JSON line in Text format');
  await stopApi(api2);
}

// ------------------------------------------------------- DynamoDB and S3

// Starts tests/peers/stand-ins.mjs (dynalite, s3rver with bucket "reports", and
// with fault a throttling proxy in front of dynalite); resolves their URLs.
async function startPeers(fault) {
  const peers = path.join(args.source, 'tests/peers');
  expect(fs.existsSync(path.join(peers, 'node_modules')), 'test peers missing: npm ci --prefix tests/peers');
  const argv = [path.join(peers, 'stand-ins.mjs'), '--dynamodb', '--s3', 'reports'];
  if (fault) argv.push('--fault', fault);
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('stand-ins did not start')), 30000);
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { clearTimeout(timer); resolve(buf.split('\n')[0]); }
    });
  });
  return { child, ...JSON.parse(line), peers };
}

async function stopPeers(p) {
  p.child.stdin.end();
  p.child.kill('SIGTERM');
  await new Promise((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', r)));
}

const awsEnv = (p, endpoint) => ({
  AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_SESSION_TOKEN: 'token',
  AWS_ENDPOINT_URL_DYNAMODB: endpoint || p.dynamodb, AWS_ENDPOINT_URL_S3: p.s3,
  AWS_CONFIG_FILE: path.join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'none'),
  AWS_REGION: 'us-east-1', TABLE_NAME: 'mail-events', S3_BUCKET_NAME: 'reports', RETENTION_DAYS: '30',
});

function readBack(p, ...argv) {
  const r = spawnSync(process.execPath, [path.join(p.peers, 'read-back.mjs'), ...argv],
    { encoding: 'utf8', env: { ...process.env, READ_BACK_BODY: path.join(work, 'body') } });
  expect(r.status === 0, `read-back ${argv[0]}: ${r.stderr}`);
  return r.stdout;
}

function setupTable(p) {
  const r = spawnSync(args.mailtrack, ['setup-table', '--store', 'dynamodb://mail-events'],
    { encoding: 'utf8', env: { ...process.env, ...awsEnv(p), HOME: work } });
  expect(r.status === 0, `setup-table: ${r.stderr}`);
}

// The table's row items (quarantine left out), parsed.
const rowItems = (p) => readBack(p, 'ddb-items', p.dynamodb, 'mail-events').split('\n')
  .filter((l) => l && !l.includes('"pk":"quarantine#')).map((l) => JSON.parse(l));
const tableRows = (p) => rowItems(p).length;
// Each copy of an event is an item of its own; the report has one row per row key.
const tableRowKeys = (p) => new Set(rowItems(p).map((i) => i.row_key)).size;

async function case_dynamodb_and_s3_match_the_cli() {
  const p = await startPeers();
  try {
    setupTable(p);
    const events = examples();
    // Every event delivered once, then all of them again, as SNS may.
    const deliver = async (name) => {
      const api = await startApi(name, events);
      const run = await runBootstrap(api, 'tracker', awsEnv(p));
      expect(run.status === 0, `tracker exited ${run.status}`);
      const bodies = api.records('response').map((r) => JSON.parse(r.body));
      expect(bodies.length === events.length, `${api.records('error').length} invocations failed`);
      await stopApi(api);
      return { bodies, items: tableRows(p) };
    };
    const sum = (bs, f) => bs.reduce((n, b) => n + b[f], 0);
    const first = await deliver('tracker');
    const again = await deliver('tracker-again');
    // One write per row and no read: DynamoDB cannot tell a repeat from a new
    // row, so each response counts its rows stored, none as duplicates ...
    expect(sum([...first.bodies, ...again.bodies], 'duplicates') === 0, 'DynamoDB reported duplicates');
    expect(sum(again.bodies, 'rows_stored') === sum(first.bodies, 'rows_stored'), 'a repeat wrote other rows');
    // ... but a repeat rewrites the items it wrote before and adds none, and
    // the table holds one row key per row of the CLI's own database.
    expect(first.items > 0 && again.items === first.items,
      `repeats grew the table from ${first.items} to ${again.items} items`);
    expect(first.items <= sum(first.bodies, 'rows_stored'), `${first.items} items for fewer rows`);
    const cliDb = path.join(work, 'cli.db');
    mailtrack('ingest', '--db', cliDb, path.join(args.examples, 'lambda-invocations.ndjson'));
    const cliRows = sqliteCount(cliDb, 'select count(*) from events');
    expect(tableRowKeys(p) === cliRows, `table holds ${tableRowKeys(p)} row keys, the CLI ${cliRows} rows`);

    let api = await startApi('report', [scheduled('2026-11-30T07:00:00Z')]);
    let run = await runBootstrap(api, 'report', { ...awsEnv(p), REPORT_PREFIX: 'reports' });
    expect(run.status === 0, `report exited ${run.status}`);
    const body = JSON.parse(api.records('response')[0].body);
    expect(body.bucket === 'reports' && body.key === 'reports/2026/email-events-2026-W48.csv',
      `response ${JSON.stringify(body)}`);
    await stopApi(api);
    readBack(p, 's3-object', p.s3, 'reports', body.key);
    const fromS3 = fs.readFileSync(path.join(work, 'body'));

    const local = mailtrack('report', '--week', '2026-W48', '--db', cliDb, '--out', '-');
    expect(fromS3.equals(Buffer.from(local)), 'the CSV in S3 differs from the CLI\'s');
    expect(readBack(p, 's3-list', p.s3, 'reports').includes(body.summary_key), 'no summary in S3');
  } finally {
    await stopPeers(p);
  }
}

// Waits until the Runtime API stand-in holds invocation n (--pause-before n).
async function atPause(api, n) {
  for (let i = 0; i < 1500; i++) {
    if (api.records('paused').some((r) => r.body === String(n))) return;
    await sleep(20);
  }
  fail(`the run never reached invocation ${n}`);
}

const release = (api, n) => fs.writeFileSync(`${api.out}.release-${n}`, '');

async function setFaults(p, faults) {
  const r = await fetch(`${p.fault}/faults`, { method: 'POST', body: JSON.stringify(faults) });
  expect(r.ok, `the fault proxy refused ${JSON.stringify(faults)}`);
}

// The invocation number of a record, from the stand-in's request ids.
const invocation = (r) => Number(r.request_id.slice(-12));

async function case_dynamodb_outage_fails_only_touched_invocations() {
  // One run of six invocations.  Just before the third, DynamoDB goes down (a
  // proxy in front of dynalite throttles every write); just before the fifth
  // it comes back.  The stand-in pauses the run at those points.
  const p = await startPeers('always=0');
  try {
    setupTable(p);
    const events = examples().slice(0, 6);
    const api = await startApi('outage', events,
      ['--deadline-ms', '2500', '--pause-before', '3', '--pause-before', '5']);
    const running = runBootstrap(api, 'tracker', awsEnv(p, p.fault));
    await atPause(api, 3);
    await setFaults(p, { always: 1 });
    release(api, 3);
    await atPause(api, 5);
    await setFaults(p, { always: 0 });
    release(api, 5);
    const run = await running;
    expect(run.status === 0, `tracker exited ${run.status}`);

    const failed = api.records('error').map(invocation).sort();
    const answered = api.records('response').map(invocation).sort();
    expect(JSON.stringify(failed) === '[3,4]', `invocations ${failed} failed, not 3 and 4`);
    expect(JSON.stringify(answered) === '[1,2,5,6]', `invocations ${answered} succeeded`);
    expect(api.records('error').every((e) => e.error_type.startsWith('MT_ERR_')),
      'errorType is not a status name');
    await stopApi(api);

    // Lambda retries the two failed events: now they succeed, and the table
    // holds exactly the rows a local ingest of the six events gives.
    const retry = await startApi('retry', [events[2], events[3]]);
    const again = await runBootstrap(retry, 'tracker', awsEnv(p));
    expect(again.status === 0 && retry.records('error').length === 0, 'a retry failed');
    await stopApi(retry);
    const file = path.join(work, 'six.ndjson');
    const db = path.join(work, 'six.db');
    fs.writeFileSync(file, events.map((e) => `${e}\n`).join(''));
    mailtrack('ingest', '--db', db, file);
    const expected = sqliteCount(db, 'select count(*) from events');
    expect(expected > 6 && tableRows(p) === expected, `table holds ${tableRows(p)} rows, not ${expected}`);
  } finally {
    await stopPeers(p);
  }
}

// --------------------------------------------------------------------- main

const cases = {
  case_tracker_and_report_match_the_cli, case_duplicate_deliveries_add_nothing,
  case_dropped_posts_are_retried_and_the_loop_goes_on, case_bad_report_event_fails_only_its_invocation,
  case_unknown_handler_is_an_init_error, case_missing_configuration_is_an_init_error,
  case_runtime_api_500_ends_the_program, case_logs_are_json_lines_without_addresses,
  case_dynamodb_and_s3_match_the_cli, case_dynamodb_outage_fails_only_touched_invocations,
};

try {
  if (!cases[args.case]) fail(`no case '${args.case}'`);
  await cases[args.case]();
  console.log(`${args.case}: passed`);
} catch (e) {
  console.error(`FAIL ${args.case}: ${e.message}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
