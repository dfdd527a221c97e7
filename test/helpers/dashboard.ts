import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hashPassword } from '../../hub/auth/passwords.ts';
import { HubConfig } from '../../hub/config.ts';
import type { Role } from '../../hub/storage/storage.ts';
import { startHub, type RunningHub } from '../../hub/server.ts';
import { JournalBuilder } from '../../hub/storage/fixtures.ts';
import { parseConfig } from '../../shared/config-file.ts';
import { createLogger } from '../../shared/log.ts';
import type { NewEvent } from '../../shared/schemas/events.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { freePort } from './ports.ts';
import { requireService } from './services.ts';

/**
 * What every dashboard browser test needs: a real hub (its built UI from hub/ui/dist — `npm test` builds it first),
 * one user per role, Debian's Chromium driven by playwright-core, a sign-in helper and screenshots for the README.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = () => requireService(`Chromium (${CHROMIUM}; apt-get install chromium)`, existsSync(CHROMIUM));
export const uiBuilt = () => existsSync(new URL('../../hub/ui/dist/index.html', import.meta.url));

export const USERS: Record<Role, { username: string; password: string }> = {
  admin: { username: 'admin', password: 'dashboard-admin-pw' },
  manager: { username: 'manager-1', password: 'manager-1-password' },
  officer: { username: 'officer-1', password: 'officer-1-password' },
  operator: { username: 'operator-1', password: 'operator-1-password' },
};

export interface DashboardRig {
  hub: RunningHub;
  browser: Browser;
  dir: string;
  /** A new page (1280×800 unless given), signed in as the role, language chosen (zh-CN default). */
  /** `bypassCsp`: for a test that injects its own script (axe-core); the CSP itself is tested in csp.test.ts. */
  pageAs(role: Role, opts?: { lang?: 'zh-CN' | 'en'; width?: number; height?: number; bypassCsp?: boolean }): Promise<Page>;
  /** Bearer token for API calls from the test itself. */
  token(role: Role): Promise<string>;
  /** Store edge events for a gateway and hand them to the hub's projections, as the ingest path does. */
  ingest(gatewayId: string, events: NewEvent[], receivedMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const journals = new Map<string, JournalBuilder>();

export async function startDashboardRig(name: string, hubConfig: Record<string, unknown> = {}): Promise<DashboardRig> {
  const dir = mkdtempSync(join(tmpdir(), `bg-dash-${name}-`));
  const log = createLogger('test', 'silent');
  const hub = await startHub(
    parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: USERS.admin.password }, ...hubConfig }, 'test'),
    log,
  );
  for (const role of ['manager', 'officer', 'operator'] as const) {
    await hub.storage.createUser({ username: USERS[role].username, passwordHash: await hashPassword(USERS[role].password), role, displayName: USERS[role].username, createdMs: Date.now() });
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  const tokens = new Map<Role, string>();
  return {
    hub,
    browser,
    dir,
    async pageAs(role, opts = {}) {
      const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, locale: opts.lang ?? 'zh-CN', bypassCSP: opts.bypassCsp ?? false });
      const page = await context.newPage();
      await page.addInitScript((l) => localStorage.getItem('bg.lang') ?? localStorage.setItem('bg.lang', l), opts.lang ?? 'zh-CN');
      await page.goto(hub.httpUrl);
      await page.locator('#username').fill(USERS[role].username);
      await page.locator('#password').fill(USERS[role].password);
      await page.locator('#password').press('Enter');
      await page.locator('nav.side').waitFor();
      return page;
    },
    async token(role) {
      let t = tokens.get(role);
      if (!t) {
        const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(USERS[role]) });
        t = ((await res.json()) as { token: string }).token;
        tokens.set(role, t);
      }
      return t;
    },
    async ingest(gatewayId, events, receivedMs = Date.now()) {
      let j = journals.get(gatewayId);
      if (!j) journals.set(gatewayId, (j = new JournalBuilder(gatewayId, receivedMs - 60_000)));
      const entries = events.map((e) => j.next(e));
      await hub.storage.ingest(gatewayId, entries, { receivedMs });
      hub.projections.onEvents(gatewayId, entries.map((e) => e.event as EdgeEvent));
      await hub.projections.drained();
    },
    async stop() {
      await browser.close();
      await hub.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Save a screenshot for the README (docs/screenshots/<name>.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const out = new URL('../../docs/screenshots/', import.meta.url);
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out.pathname, `${name}.png`), fullPage: false });
}
