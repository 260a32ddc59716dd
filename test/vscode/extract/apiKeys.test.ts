import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isUserError } from '../../../src/core/errors';
import { apiKeySecretName, endpointOrigin, LEGACY_API_KEY_SECRET } from '../../../src/vscode/extract/apiKeys';

/**
 * The key store's decisions (SecretStorage itself is exercised in code-server, extract.e2e.ts):
 * which origin a base URL's key belongs to, and that endpoint settings are user-only.
 */
test('a key belongs to the origin of the base URL: scheme, host and port, nothing else', () => {
  assert.equal(endpointOrigin('https://api.openai.com/v1'), 'https://api.openai.com');
  assert.equal(endpointOrigin('https://API.openai.com:443/v1/?x=1'), 'https://api.openai.com');
  assert.equal(endpointOrigin('http://127.0.0.1:8080/v1'), 'http://127.0.0.1:8080');
  assert.equal(endpointOrigin('https://user:pw@example.test/v1'), 'https://example.test');
  const names = ['https://api.openai.com/v1', 'https://api.openai.com.evil.test/v1', 'http://api.openai.com/v1', 'https://api.openai.com:8443/v1']
    .map((u) => apiKeySecretName(endpointOrigin(u)));
  assert.equal(new Set(names).size, names.length, 'look-alike endpoints get different keys');
  assert.ok(!names.includes(LEGACY_API_KEY_SECRET));
  assert.throws(() => endpointOrigin('file:///etc/passwd'), isUserError);
  assert.throws(() => endpointOrigin('not a url'), isUserError);
});

test('provider, base URL and model are machine settings: a workspace cannot set them', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties;
  for (const key of ['provider', 'baseUrl', 'model']) {
    assert.equal(props[`modelLab.extraction.${key}`].scope, 'machine', key);
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(`modelLab.extraction.${key}`), key);
  }
});
