import { describe, expect, it } from 'vitest';
import { DeliveryWindow, type DeliveryWindowConfig, type Lane } from './sync-window.ts';

const cfg: DeliveryWindowConfig = { batchMax: 10, windowInitial: 100, windowMax: 1000, ackTimeoutMs: 3000, ackTimeoutMaxMs: 30_000 };

/** What the shell does: send every plan the window allows, skipping seqs the hub already holds. */
function pump(w: DeliveryWindow, headSeq: number, nowMs: number): { lane: Lane; from: number; to: number }[] {
  const sent: { lane: Lane; from: number; to: number }[] = [];
  for (let plan = w.nextSend(headSeq); plan; plan = w.nextSend(headSeq)) {
    const last = Math.min(plan.to, plan.from + plan.limit - 1);
    const seqs = Array.from({ length: last - plan.from + 1 }, (_, i) => plan.from + i).filter((s) => !w.isSacked(s));
    w.recordSend(plan.lane, last, seqs.length ? { from: seqs[0]!, to: seqs[seqs.length - 1]!, count: seqs.length } : undefined, nowMs);
    if (seqs.length) sent.push({ lane: plan.lane, from: seqs[0]!, to: seqs[seqs.length - 1]! });
  }
  return sent;
}

describe('DeliveryWindow: a batch lost while later ones are acked in ranges', () => {
  it('resends the hole after three acks show it missing, without the ack timer and with the live lane still flowing', () => {
    const w = new DeliveryWindow(cfg, 0, 0);
    // Live traffic: one event per 10 ms, each its own batch. Batch 1 reaches the hub; batch 2 (seq 2) is lost.
    expect(pump(w, 1, 0)).toEqual([{ lane: 'live', from: 1, to: 1 }]);
    expect(w.onAck({ ackedSeq: 1, ranges: [] }, 1, 5)).toMatchObject({ kind: 'applied', advanced: true, resent: [] });
    expect(pump(w, 2, 10)).toEqual([{ lane: 'live', from: 2, to: 2 }]);
    const deadline = w.deadlineMs;
    expect(deadline).toBe(10 + 3000); // armed by the send: nothing was in flight after the first ack
    const resentAt: number[] = [];
    for (let seq = 3; seq <= 5; seq++) {
      const now = seq * 10;
      pump(w, seq, now);
      const r = w.onAck({ ackedSeq: 1, ranges: [[3, seq]] }, seq, now + 5);
      if (r.kind === 'applied' && r.resent.length) resentAt.push(seq);
      // Ranges above the hole are not progress: the timer keeps its deadline.
      expect(w.deadlineMs).toBe(deadline);
    }
    expect(resentAt).toEqual([5]); // the third ack with seq 2 missing below held later batches
    expect(pump(w, 5, 56)).toEqual([{ lane: 'resend', from: 2, to: 2 }]);
    expect(w.deadlineMs).toBe(deadline);
    expect(w.holesResent).toBe(1);
    expect(w.timeouts).toBe(0);
    // The resent hole arrives: the cumulative ack jumps over everything, the timer stops (nothing in flight).
    expect(w.onAck({ ackedSeq: 5, ranges: [] }, 5, 100)).toMatchObject({ kind: 'applied', ackedSeq: 5, advanced: true });
    expect(w.inflight).toBe(0);
    expect(w.deadlineMs).toBeNull();
  });

  it('resends at once a hole older than the ack timeout when a later batch is held', () => {
    const w = new DeliveryWindow(cfg, 0, 0);
    pump(w, 5, 0); // seqs 1..5, lost
    pump(w, 6, 3500); // seq 6, held
    const r = w.onAck({ ackedSeq: 0, ranges: [[6, 6]] }, 6, 3510);
    expect(r).toMatchObject({ kind: 'applied', advanced: false, resent: [[1, 5]] });
    expect(pump(w, 6, 3510)).toEqual([{ lane: 'resend', from: 1, to: 5 }]);
  });

  it('counts only acks with news: a repeated ack (a duplicate batch, a duplicate ack) is no evidence', () => {
    const w = new DeliveryWindow(cfg, 0, 0);
    pump(w, 1, 0); // lost
    pump(w, 2, 1);
    for (let i = 0; i < 5; i++) expect(w.onAck({ ackedSeq: 0, ranges: [[2, 2]] }, 2, 10 + i)).toMatchObject({ resent: [] });
    pump(w, 3, 20);
    pump(w, 4, 21);
    w.onAck({ ackedSeq: 0, ranges: [[2, 3]] }, 4, 30);
    expect(w.onAck({ ackedSeq: 0, ranges: [[2, 4]] }, 4, 31)).toMatchObject({ resent: [[1, 1]] });
  });

  it('does not resend a batch that is only late behind one or two reordered acks', () => {
    const w = new DeliveryWindow(cfg, 0, 0);
    pump(w, 1, 0);
    pump(w, 2, 1);
    pump(w, 3, 2);
    expect(w.onAck({ ackedSeq: 0, ranges: [[2, 2]] }, 3, 10)).toMatchObject({ resent: [] });
    expect(w.onAck({ ackedSeq: 0, ranges: [[2, 3]] }, 3, 11)).toMatchObject({ resent: [] });
    expect(w.onAck({ ackedSeq: 3, ranges: [] }, 3, 12)).toMatchObject({ advanced: true, resent: [] });
    expect(pump(w, 3, 12)).toEqual([]);
    expect(w.holesResent).toBe(0);
  });

  it('skips seqs the hub already holds when it resends, and forgets a queued hole the hub then reports held', () => {
    const w = new DeliveryWindow({ ...cfg, windowInitial: 10 }, 0, 0);
    pump(w, 4, 0); // batch [1..4]: lost
    pump(w, 5, 1);
    pump(w, 6, 2);
    pump(w, 7, 3);
    // The window is full of nothing acked... the hub acks 5..7 three times; the third ack queues [1..4].
    w.onAck({ ackedSeq: 0, ranges: [[5, 5]] }, 7, 10);
    w.onAck({ ackedSeq: 0, ranges: [[5, 6]] }, 7, 11);
    expect(w.onAck({ ackedSeq: 0, ranges: [[5, 7]] }, 7, 12)).toMatchObject({ resent: [[1, 4]] });
    // Before it goes out, a late copy of the lost batch turns up at the hub after all: nothing is left to resend.
    w.onAck({ ackedSeq: 7, ranges: [] }, 7, 13);
    expect(pump(w, 7, 13)).toEqual([]);
  });
});

describe('DeliveryWindow: the ack timer', () => {
  it('restarts only when the cumulative ack advances, and goes back to the ack when it expires', () => {
    const jitterCalls: number[] = [];
    const w = new DeliveryWindow({ ...cfg, jitter: (ms) => (jitterCalls.push(ms), ms) }, 0, 0);
    pump(w, 20, 0); // two batches: [1..10] [11..20]
    expect(w.deadlineMs).toBe(3000);
    expect(w.onTimer(2999)).toBe(false); // early: nothing happens
    w.onAck({ ackedSeq: 10, ranges: [] }, 20, 1000);
    expect(w.deadlineMs).toBe(4000);
    expect(w.onTimer(4000)).toBe(true);
    expect(w.timeouts).toBe(1);
    expect(w.rtoMs).toBe(6000);
    expect(w.window).toBe(Math.floor((100 + 10) / 2));
    expect(w.deadlineMs).toBeNull();
    // Go-back-N: from the ack, in backlog order, skipping nothing the hub holds.
    expect(pump(w, 20, 4000)).toEqual([{ lane: 'backlog', from: 11, to: 20 }]);
    expect(w.deadlineMs).toBe(4000 + 6000);
    w.onAck({ ackedSeq: 20, ranges: [] }, 20, 4100);
    expect(w.rtoMs).toBe(3000);
    expect(w.deadlineMs).toBeNull();
    expect(jitterCalls).toEqual([3000, 3000, 6000]);
  });

  it('is cleared when everything in flight is held above a hole that is not in flight', () => {
    const w = new DeliveryWindow(cfg, 0, 5);
    // After a reconnect the backlog [1..5] is pending; live [6..6] goes first and is held.
    pump(w, 6, 0);
    w.onAck({ ackedSeq: 5, ranges: [] }, 6, 1);
    expect(w.onAck({ ackedSeq: 6, ranges: [] }, 6, 2)).toMatchObject({ advanced: true });
    expect(w.inflight).toBe(0);
    expect(w.deadlineMs).toBeNull();
    expect(w.onTimer(1e9)).toBe(false);
  });
});

describe('DeliveryWindow: lanes and window', () => {
  it('sends live events ahead of the backlog, and a hole ahead of both', () => {
    const w = new DeliveryWindow({ ...cfg, windowInitial: 30 }, 0, 40); // 40 unacked at connect
    expect(pump(w, 42, 0)).toEqual([
      { lane: 'live', from: 41, to: 42 },
      { lane: 'backlog', from: 1, to: 10 },
      { lane: 'backlog', from: 11, to: 20 },
      { lane: 'backlog', from: 21, to: 28 },
    ]);
    // The hub holds the live events and the later backlog batches but never saw [1..10]: three acks, each with news.
    w.onAck({ ackedSeq: 0, ranges: [[41, 42]] }, 42, 10);
    w.onAck({ ackedSeq: 0, ranges: [[11, 20], [41, 42]] }, 42, 11);
    w.onAck({ ackedSeq: 0, ranges: [[11, 20], [21, 28], [41, 42]] }, 42, 12);
    expect(pump(w, 42, 13).map((b) => b.lane)).not.toContain('resend'); // two acks: could still be reordering
    expect(pump(w, 43, 14)).toEqual([{ lane: 'live', from: 43, to: 43 }]);
    expect(w.onAck({ ackedSeq: 0, ranges: [[11, 28], [41, 43]] }, 43, 20)).toMatchObject({ resent: [[1, 10]] });
    expect(pump(w, 44, 20)).toEqual([
      { lane: 'resend', from: 1, to: 10 },
      { lane: 'live', from: 44, to: 44 },
    ]);
  });

  it('halves the window once per loss, however many holes that loss left', () => {
    const w = new DeliveryWindow({ ...cfg, windowInitial: 200 }, 0, 0);
    for (let seq = 10; seq <= 60; seq += 10) pump(w, seq, seq); // six batches of ten
    // Batches [1..10] and [21..30] are lost; the rest are held, acked once the holes are older than the ack timeout.
    const windowBefore = w.window;
    expect(w.onAck({ ackedSeq: 0, ranges: [[11, 20], [31, 60]] }, 60, 3100)).toMatchObject({ resent: [[1, 10], [21, 30]] });
    expect(w.window).toBe(Math.floor((windowBefore + 40) / 2)); // grown by what was freed, then halved once
    expect(pump(w, 60, 3100)).toEqual([
      { lane: 'resend', from: 1, to: 10 },
      { lane: 'resend', from: 21, to: 30 },
    ]);
  });

  it('reports an ack for seqs never written, and a hub behind its earlier ack resends from its ack', () => {
    const w = new DeliveryWindow(cfg, 10, 12);
    expect(w.onAck({ ackedSeq: 13, ranges: [] }, 12, 0)).toEqual({ kind: 'ahead-of-journal' });
    expect(w.onAck({ ackedSeq: 4, ranges: [] }, 12, 0)).toEqual({ kind: 'hub-behind', localAckedSeq: 10 });
    expect(pump(w, 12, 0)).toEqual([{ lane: 'backlog', from: 5, to: 12 }]);
  });
});
