import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EportClientSim, type SimMessage } from '../cli/sim-eport.ts';
import { createLogger } from '../shared/log.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { EPORT_SAMPLE_INPUTS } from '../hub/eport/exchange-samples.ts';
import type { CebOutgoingType } from '../hub/eport/exchange-messages.ts';
import { Sm2FileSigner } from '../hub/eport/file-signer.ts';
import { createInboxWatcher } from '../hub/eport/inbox.ts';
import { createSender } from '../hub/eport/sender.ts';
import { makeTestPki } from '../hub/eport/test-pki.ts';
import { openEportMessageRepo, type EportMessageRepo } from '../hub/repos/eport-messages.ts';
import { mapCebHere } from '../hub/services/ceb-pool.ts';
import type { OriginalMessage } from '../hub/services/customs.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import type { Storage } from '../hub/storage/storage.ts';

/**
 * The exchange end to end with the single-window client simulator, over real folders and a SQLite file: the hub is
 * "killed" between writing a file and recording it (a markSent that never happens) and reopened on the same file, the
 * client goes away and comes back, answers come doubled and reversed, a message fails the format check (CEB900), one
 * is rejected, and a half-written InBox file sits there while it is being written. Everything is driven step by step
 * (sender pass, client step, two InBox looks): no clocks, no sleeps.
 */
const log = createLogger('test', 'silent');
const pki = makeTestPki({ nowMs: Date.now() });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });

class CountingCustoms {
  readonly calls: { actor: string; kinds: string[]; types: string[]; sha256: string | null }[] = [];
  async ingest(docs: unknown[], actor: string, original: OriginalMessage | null = null) {
    this.calls.push({ actor, kinds: docs.map((d) => (d as { kind: string }).kind), types: docs.map((d) => String((d as { messageType?: string }).messageType ?? '')), sha256: original?.sha256 ?? null });
    return [];
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bg-eport-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Hub {
  storage: Storage;
  repo: EportMessageRepo;
  sender: ReturnType<typeof createSender>;
  inbox: ReturnType<typeof createInboxWatcher>;
}

function startHub(customs: CountingCustoms, crashAfterRename?: string): Hub {
  const storage = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
  const repo = openEportMessageRepo(storage.sql);
  // A hub killed after the rename and before the update: the row stays queued, as it would after a SIGKILL there.
  const senderRepo: EportMessageRepo = crashAfterRename ? { ...repo, markSent: async (guid, ...rest) => (guid === crashAfterRename ? Promise.reject(new Error('killed')) : repo.markSent(guid, ...rest)) } : repo;
  return {
    storage,
    repo,
    sender: createSender({ repo: senderRepo, signer, outbox: join(dir, 'OutBox'), log, baseBackoffMs: 0 }),
    inbox: createInboxWatcher({ path: join(dir, 'InBox'), repo, customs, mapXml: mapCebHere, log }),
  };
}

async function migrated(h: Hub): Promise<Hub> {
  await h.storage.migrate();
  await (h.repo as ReturnType<typeof openEportMessageRepo>).migrate();
  return h;
}

const files = (sub: string) => readdirSync(join(dir, sub)).filter((n) => !n.startsWith('.'));

describe('e-port exchange with the single-window client simulator', () => {
  it('every message is sent once in effect and every receipt applied once, through a hub restart, a client away, duplicates, reversed answers, a CEB900 and a half-written file', async () => {
    const customs = new CountingCustoms();
    let hub = await migrated(startHub(customs));
    const types: CebOutgoingType[] = ['CEB711', 'CEB507', 'CEB509', 'CEB711', 'CEB507', 'CEB509'];
    const guids: string[] = [];
    for (const [i, type] of types.entries()) {
      const input: Record<string, unknown> = { ...EPORT_SAMPLE_INPUTS[type], ...(type === 'CEB711' ? { billNo: `784-0000000${i}` } : { copNo: `COP${type}${i}` }) };
      const r = await hub.repo.enqueue({ cause: `test:${i}`, messageType: type, input, subject: String(input.billNo ?? input.copNo) }, Date.now());
      guids.push(r.guid);
      // The same cause again (a replayed event) is the same message.
      expect(await hub.repo.enqueue({ cause: `test:${i}`, messageType: type, input, subject: 'x' }, Date.now())).toEqual({ guid: r.guid, created: false });
    }
    const [accepted, rejected, malformed] = [guids[0]!, guids[1]!, guids[2]!];
    const sim = new EportClientSim({
      outbox: join(dir, 'OutBox'),
      inbox: join(dir, 'InBox'),
      work: join(dir, 'client-sent'),
      rules: { reject: (m: SimMessage) => m.guid === rejected, formatError: (m: SimMessage) => m.guid === malformed, duplicates: true, outOfOrder: true },
    });

    // The client is away; the hub writes every file and is killed after renaming the first one into the OutBox.
    sim.goAway();
    await hub.storage.close();
    hub = await migrated(startHub(customs, accepted));
    await expect(hub.sender.pass()).rejects.toThrow('killed');
    expect((await hub.repo.get(accepted))!.state).toBe('queued');
    await hub.storage.close();

    // Restarted: the first message is written again under the same name (an overwrite), the others for the first time.
    hub = await migrated(startHub(customs));
    expect(await hub.sender.pass()).toBe(6);
    expect(files('OutBox').sort()).toEqual(guids.map((g, i) => `${types[i]}_${g}.xml`).sort());
    expect(await hub.repo.countsByState()).toEqual({ queued: 0, sent: 6, receipt: 0, failed: 0 });

    // A half-written file in the InBox (a writer that does not rename): never taken while it grows.
    const half = fixtureXml('CEB312');
    writeFileSync(join(dir, 'InBox', 'CEB312_slow.xml'), half.slice(0, 200));
    // A business receipt on a declaration, as the client delivers it, twice.
    writeFileSync(join(dir, 'InBox', 'CEB312_a.xml'), half);
    writeFileSync(join(dir, 'InBox', 'CEB312_b.xml'), half);

    sim.comeBack();
    let restarted = false;
    for (let round = 0; round < 10; round++) {
      await sim.step();
      await hub.inbox.poll();
      if (round === 0) appendFileSync(join(dir, 'InBox', 'CEB312_slow.xml'), half.slice(200, 400));
      if (round === 1) appendFileSync(join(dir, 'InBox', 'CEB312_slow.xml'), half.slice(400));
      await hub.inbox.poll();
      if (!restarted) {
        // Restarted again mid-exchange, with receipts half taken.
        restarted = true;
        await hub.storage.close();
        hub = await migrated(startHub(customs));
      }
      await hub.sender.pass();
      const c = await hub.repo.countsByState();
      if (c.queued === 0 && c.sent === 0 && round >= 2) break;
    }
    await hub.inbox.poll();
    await hub.inbox.poll();

    // Sent once: the client took exactly one file per message.
    const taken = files('client-sent').map((n) => n.replace(/^\d+-/, ''));
    expect(taken.sort()).toEqual(guids.map((g, i) => `${types[i]}_${g}.xml`).sort());

    expect(await hub.repo.get(accepted)).toMatchObject({ state: 'receipt', receiptStatus: '2', transmission: 'succeeded' });
    expect(await hub.repo.get(rejected)).toMatchObject({ state: 'receipt', receiptStatus: '100', transmission: 'succeeded' });
    expect(await hub.repo.get(malformed)).toMatchObject({ state: 'failed', formatStatus: '-1', transmission: 'succeeded' });
    expect(await hub.repo.countsByState()).toEqual({ queued: 0, sent: 0, receipt: 5, failed: 1 });
    // Each receipt once: one transmission result and one answer per message, though every answer came twice.
    for (const g of guids) expect((await hub.repo.receipts(g)).map((r) => r.kind).sort()).toEqual(g === malformed ? ['format', 'transmission'] : ['business', 'transmission']);

    // Nothing refused: the half-written file was taken only once complete; duplicates went to done/.
    expect(files('InBox/failed')).toEqual([]);
    expect(files('InBox/done')).toContain('CEB312_slow.xml');
    expect(files('InBox').filter((n) => n !== 'done' && n !== 'failed')).toEqual([]);
    // The declarations' receipts went through the intake (idempotent by document key there), the same message each time
    // (the answers to our own messages — 712 and the like — go through it too, now that the intake reads them).
    const receipts312 = customs.calls.filter((c) => c.types.includes('CEB312'));
    expect(receipts312.length).toBe(3);
    expect(new Set(receipts312.map((c) => c.sha256)).size).toBe(1);
    expect(receipts312.every((c) => c.actor === 'eport-inbox')).toBe(true);
    await hub.storage.close();
  });

  it('a message the client could not transmit fails, and is sent again (same guid) after a resend', async () => {
    const customs = new CountingCustoms();
    const hub = await migrated(startHub(customs));
    const { guid } = await hub.repo.enqueue({ cause: 'fail:1', messageType: 'CEB507', input: EPORT_SAMPLE_INPUTS.CEB507, subject: 'YWDD20240728001' }, Date.now());
    let fail = true;
    const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), work: join(dir, 'client-sent'), rules: { transmissionFail: () => fail } });
    const round = async () => {
      await hub.sender.pass();
      await sim.step();
      await hub.inbox.poll();
      await hub.inbox.poll();
    };
    await round();
    expect(await hub.repo.get(guid)).toMatchObject({ state: 'failed', transmission: 'failed' });
    fail = false;
    expect(await hub.repo.requeue(guid, Date.now())).toMatchObject({ state: 'queued' });
    await round();
    expect(await hub.repo.get(guid)).toMatchObject({ state: 'receipt', transmission: 'succeeded', receiptStatus: '2' });
    expect(files('client-sent').filter((n) => n.includes(guid))).toHaveLength(2);
    await hub.storage.close();
  });

  it('a message that cannot be signed stays queued with its error, and nothing reaches the OutBox', async () => {
    const customs = new CountingCustoms();
    const storage = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
    await storage.migrate();
    const repo = openEportMessageRepo(storage.sql);
    await repo.migrate();
    const problems: string[] = [];
    const sender = createSender({ repo, signer: { sign: () => Promise.reject(new Error('PIN refused')) }, outbox: join(dir, 'OutBox'), log, onProblem: (row, stage) => void problems.push(`${row.messageType}:${stage}`) });
    const { guid } = await repo.enqueue({ cause: 'nosign', messageType: 'CEB711', input: EPORT_SAMPLE_INPUTS.CEB711, subject: '784-12345675' }, Date.now());
    expect(await sender.pass()).toBe(0);
    expect(await repo.get(guid)).toMatchObject({ state: 'queued', attempts: 1, lastError: 'sign: Signature: PIN refused' });
    expect((await repo.get(guid))!.nextAttemptMs).toBeGreaterThan(Date.now());
    expect(problems).toEqual(['CEB711:sign']);
    expect(files('OutBox')).toEqual([]);
    void customs;
    await storage.close();
  });

  it('a malformed file in the OutBox (written by something else) gets a CEB900, recorded for no message of ours', async () => {
    const customs = new CountingCustoms();
    const hub = await migrated(startHub(customs));
    const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), work: join(dir, 'client-sent') });
    await hub.sender.pass();
    const bad = fixtureXml('CEB311').replace(/<ceb:orderNo>[^<]*<\/ceb:orderNo>/, `<ceb:orderNo>${'X'.repeat(80)}</ceb:orderNo>`);
    writeFileSync(join(dir, 'OutBox', 'CEB311_foreign.xml'), bad);
    await sim.step();
    const answers = files('InBox');
    expect(answers.some((n) => n.startsWith('CEB900_'))).toBe(true);
    const ceb900 = readFileSync(join(dir, 'InBox', answers.find((n) => n.startsWith('CEB900_'))!), 'utf8');
    expect(ceb900).toContain('<ceb:returnStatus>-1</ceb:returnStatus>');
    expect(ceb900).toContain('orderNo');
    await hub.inbox.poll();
    await hub.inbox.poll();
    expect(files('InBox/failed')).toEqual([]);
    expect(await hub.repo.countsByState()).toEqual({ queued: 0, sent: 0, receipt: 0, failed: 0 });
    await hub.storage.close();
  });
});
