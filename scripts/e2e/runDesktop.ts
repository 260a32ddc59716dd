/**
 * `npm run test:desktop`: the integration checks in a desktop VS Code via @vscode/test-electron.
 * It downloads VS Code from update.code.visualstudio.com; where that is unreachable it says so
 * and exits non-zero (nothing was tested). The same product checks, and more (webview content,
 * restricted mode), run against code-server with `npm run test:e2e`.
 */
import { build } from 'esbuild';
import * as path from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { REPO } from '../../test/e2e/harness/codeServer';
import { makeExamplesWorkspace } from '../../test/e2e/harness/workspace';

const VSCODE_VERSION = process.env.MODEL_LAB_VSCODE_VERSION ?? '1.100.3';

async function main(): Promise<number> {
  const outDir = path.join(REPO, 'out', 'e2e-desktop');
  await build({
    entryPoints: [path.join(REPO, 'test', 'e2e', 'desktop', 'suite.ts')],
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(outDir, 'suite.js'),
    external: ['vscode'], logLevel: 'warning',
  });
  let vscodeExecutablePath: string;
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode(VSCODE_VERSION);
  } catch (e) {
    console.error(`test:desktop: could not download VS Code ${VSCODE_VERSION} (${(e as Error).message}).`);
    console.error('test:desktop: NOT RUN. This machine cannot reach the VS Code download server; run `npm run test:e2e` (code-server) here instead.');
    return 1;
  }
  const workspace = makeExamplesWorkspace('desktop');
  console.log(`test:desktop: VS Code ${VSCODE_VERSION}, workspace ${workspace}`);
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: REPO,
    extensionTestsPath: path.join(outDir, 'suite.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
  console.log('test:desktop: all checks passed');
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`test:desktop: failed: ${(e as Error).message}`);
  process.exit(1);
});
