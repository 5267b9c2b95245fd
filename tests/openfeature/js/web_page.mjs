// The test page of the web SDK: @openfeature/web-sdk with @openfeature/ofrep-web-provider,
// bundled by esbuild and served from another origin than Rollgate's by the Rust test
// (tests/tests/e2e/browsers/openfeature_web.rs). It evaluates the flags the page's
// configuration names and reports to the page's own server (POST /report, same origin):
// once when the provider is ready, again on every ConfigurationChanged, and any error.
// It reports what the SDK handed it; the test judges.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

const config = JSON.parse(document.getElementById('config').textContent);

function report(body) {
  return fetch('/report', { method: 'POST', body: JSON.stringify(body), keepalive: true });
}

window.addEventListener('error', (e) => report({ event: 'error', message: String(e.message) }));
window.addEventListener('unhandledrejection', (e) =>
  report({ event: 'error', message: String(e.reason) }),
);

const methods = {
  boolean: 'getBooleanDetails',
  string: 'getStringDetails',
  number: 'getNumberDetails',
  object: 'getObjectDetails',
};
const defaults = { boolean: false, string: '', number: 0, object: {} };

function evaluations(client) {
  const flags = {};
  for (const { key, type } of config.flags) {
    const details = client[methods[type]](key, defaults[type]);
    flags[key] = {
      value: details.value,
      variant: details.variant ?? null,
      reason: details.reason ?? null,
      errorCode: details.errorCode ?? null,
    };
  }
  return flags;
}

async function main() {
  const provider = new OFREPWebProvider({
    baseUrl: config.url,
    headers: [['Authorization', `Bearer ${config.key}`]],
    cacheMode: 'disabled',
  });
  await OpenFeature.setContext(config.context);
  const client = OpenFeature.getClient();
  client.addHandler(ProviderEvents.Error, (details) =>
    report({ event: 'error', message: String(details?.message) }),
  );
  client.addHandler(ProviderEvents.ConfigurationChanged, (details) =>
    report({
      event: 'changed',
      flagsChanged: details?.flagsChanged ?? null,
      flags: evaluations(client),
    }),
  );
  await OpenFeature.setProviderAndWait(provider);
  document.body.dataset.ready = 'yes';
  await report({ event: 'ready', flags: evaluations(client) });
}

main().catch((e) => report({ event: 'error', message: String(e?.stack ?? e) }));
