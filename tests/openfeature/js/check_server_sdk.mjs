// Evaluates every case of a job file with the real OpenFeature server SDK
// (@openfeature/server-sdk) and its OFREP provider (@openfeature/ofrep-provider) against
// a running Rollgate, and prints what the SDK handed the application, one entry per
// case, as JSON. The Rust test (tests/tests/e2e/browsers/openfeature_node.rs) compares
// it with Rollgate's own OFREP answers: this script only reports, it judges nothing.
//
// Usage: node check_server_sdk.mjs URL KEY JOB.json
//   JOB.json: [{ "flag": "...", "type": "boolean|string|number|object",
//                "default": <value>, "context": { ... } }, ...]
import { readFile } from 'node:fs/promises';
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const [url, key, jobFile] = process.argv.slice(2);
const cases = JSON.parse(await readFile(jobFile, 'utf8'));

await OpenFeature.setProviderAndWait(
  new OFREPProvider({ baseUrl: url, headers: [['Authorization', `Bearer ${key}`]] }),
);
const client = OpenFeature.getClient();
const methods = {
  boolean: 'getBooleanDetails',
  string: 'getStringDetails',
  number: 'getNumberDetails',
  object: 'getObjectDetails',
};

const results = [];
for (const c of cases) {
  const details = await client[methods[c.type]](c.flag, c.default, c.context);
  results.push({
    value: details.value,
    variant: details.variant ?? null,
    reason: details.reason ?? null,
    errorCode: details.errorCode ?? null,
  });
}
await OpenFeature.close();
process.stdout.write(JSON.stringify(results));
