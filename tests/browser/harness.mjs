// Shared set-up for the browser end-to-end tests: a real daemon per test file, Debian's chromium
// driven by playwright-core (resolved from ui/node_modules), temp Git repositories, screenshots.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(new URL('../../ui/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REFINE_BIN = process.env.REFINE_BIN || join(homedir(), '.cache/refine-target/debug/refine');
export const UI_DIR = process.env.REFINE_UI_DIR || join(REPO_ROOT, 'ui/dist');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'artifacts/screenshots');

const READY_LINE = /Refine is listening on (http:\/\/\S+)/;
const START_TIMEOUT_MS = 30_000;

function requireFile(path, hint) {
  if (!existsSync(path)) throw new Error(`${path} not found: ${hint}`);
}

/**
 * Starts `refine --serve --port 0` on a fresh data dir and waits for its ready line.
 * Returns the one-time login URL it printed (`/#login=…`), the base URL, `loginLink()` for a
 * fresh one, a CLI runner bound to the same data dir, and `stop()` (SIGTERM, then SIGKILL if it
 * lingers; removes the data dir it made). Options: `dataDir` (kept at stop), extra `args` and
 * `env` for the daemon.
 */
export async function startDaemon({ dataDir: givenDir, args = [], env: extraEnv = {} } = {}) {
  requireFile(REFINE_BIN, 'build the daemon (cargo build -p refine-cli) or set REFINE_BIN');
  requireFile(join(UI_DIR, 'index.html'), 'build the UI first (cd ui && npm ci && npm run build) or set REFINE_UI_DIR');
  const dataDir = givenDir ?? (await mkdtemp(join(tmpdir(), 'refine-browser-')));
  if (givenDir) await mkdir(givenDir, { recursive: true });
  const env = { ...process.env, REFINE_HOME: dataDir, NO_COLOR: '1', ...extraEnv };
  delete env.REFINE_URL;
  delete env.REFINE_PORT;
  const child = spawn(REFINE_BIN, ['--serve', '--port', '0', '--data-dir', dataDir, '--ui-dir', UI_DIR, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8000);
  });

  const loginUrl = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon did not print its ready line within ${START_TIMEOUT_MS} ms\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = READY_LINE.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited early (code ${code}, signal ${signal})\n${stderr}`));
    });
  });
  child.stdout.resume();
  const baseUrl = new URL('/', loginUrl).href;

  /** Runs the CLI against this daemon (found through daemon.json in the data dir). */
  const cli = async (...args) => {
    const { stdout } = await run(REFINE_BIN, [...args, '--data-dir', dataDir], { env, timeout: 30_000 });
    return stdout;
  };

  /** Calls the HTTP API directly with the data dir's token (as an agent would): status and body. */
  const call = async (method, path, body) => {
    const token = (await readFile(join(dataDir, 'token'), 'utf8')).trim();
    const headers = { Authorization: `Bearer ${token}`, 'X-Refine-Actor': 'e2e-agent' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = randomUUID();
    }
    const response = await fetch(new URL(path, baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  /** `call`, throwing on an error status; the body. */
  const http = async (method, path, body) => {
    const r = await call(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  /** A fresh one-time login link (what `refine open` prints). */
  const loginLink = async () => (await http('POST', '/api/v1/sessions/link', {})).url;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (!givenDir) await rm(dataDir, { recursive: true, force: true });
  };

  return { dataDir, dir: dataDir, loginUrl, baseUrl, loginLink, cli, call, http, stop, child, stderr: () => stderr };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser() {
  requireFile(CHROMIUM, 'install Debian chromium or set CHROMIUM_BIN');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Opens the UI signed in through a fresh one-time login link (the page trades it for a session
 * of its own and drops it from the address) and waits for the live connection. Page errors are collected in `page.errors` for assertions.
 *
 * The UI asks once who the person is. `identity: 'skip'` (default) answers "not now" before the
 * page loads, so tests about other things see no dialog; `'ask'` leaves the question to the test.
 */
export async function openUi(browser, daemon, { colorScheme = 'light', viewport = { width: 1360, height: 900 }, identity = 'skip' } = {}) {
  const context = await browser.newContext({ colorScheme, viewport });
  if (identity === 'skip') {
    await context.addInitScript(() => {
      if (!localStorage.getItem('refine.identity')) localStorage.setItem('refine.identity', JSON.stringify({ kind: 'skipped' }));
    });
  }
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error));
  await page.goto(await daemon.loginLink());
  await page.waitForURL((url) => !url.hash.includes('login='));
  await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 15_000 });
  return { context, page };
}

/** Goes to an area through the navigation and waits for its page. */
export async function goTo(page, area) {
  await page.getByTestId(`nav-${area}`).click();
  await page.getByTestId(`page-${area}`).waitFor();
}

/** Saves what a person sees in the viewport (or the whole page) to artifacts/screenshots/NAME.png. */
export async function screenshot(page, name, { fullPage = false } = {}) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Let entrance animations settle so the picture is what a person sees.
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage });
}

/** The shell and browser tiers' one test repository (tests/support/git-repo.sh). */
const GIT_REPO_SCRIPT = join(REPO_ROOT, 'tests/support/git-repo.sh');

/** A temp Git repository with a few files (`{relativePath: content}`) committed on `main`. */
export async function makeGitRepo(name, files) {
  const parent = await mkdtemp(join(tmpdir(), 'refine-repo-'));
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await run(GIT_REPO_SCRIPT, [dir], { env: { ...process.env, HOME: parent } });
  return { dir, cleanup: () => rm(parent, { recursive: true, force: true }) };
}

/** A plain folder that is not a Git repository. */
export async function makePlainDir(name) {
  const parent = await mkdtemp(join(tmpdir(), 'refine-plain-'));
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'notes.txt'), 'not a repository\n');
  return { dir, cleanup: () => rm(parent, { recursive: true, force: true }) };
}

/** A loopback port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
