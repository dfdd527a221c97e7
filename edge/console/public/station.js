// The station page: keyboard-first (a keyboard-wedge scanner types the code, then Enter), live over SSE.
// Focus always sits in the one input the current mode needs: sign-in (operator id / PIN), scan, or a reason.
import { I18N, applyLang, clock, duration, el, getLang, other, setLang, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const stationId = decodeURIComponent(window.location.pathname.split('/')[2] ?? '');
const base = `/station/${encodeURIComponent(stationId)}`;
/** Keys handed to actions that name none; F5 stays "reload". */
const SPARE_KEYS = ['F1', 'F2', 'F3', 'F4', 'F6', 'F7', 'F8', 'F9'];
const MARK = { go: '✓', stop: '✗', wait: '…', idle: '' };

let lang = getLang();
let station = null;
let view = null;
let receivedAtMs = 0;
let operatorId = null;
/** 'login' | 'scan' | 'reason' */
let mode = 'login';
let pendingAction = null;
let bindings = [];
let queue = Promise.resolve();
let resultTimer;
/** At a bench: the customs officer signed in with a bench token ({ officer, expiresAtMs } or { officer: null }). */
let benchOfficer = null;
/** A bench token (shared/bench-token.ts): scanned from its QR code or pasted into the scan field. */
const BENCH_TOKEN = /^[A-Za-z0-9_-]{1,800}\.[A-Za-z0-9_-]{86}$/;

// ---- rendering -------------------------------------------------------------------------------------------

function renderTitle() {
  const title = station ? station.title : { zh: stationId, en: stationId };
  $('station-title').textContent = title[lang];
  $('station-kind').textContent = station ? `${title[other(lang)]} · ${t(`kind_${station.kind}`, lang)}` : '';
  document.title = `${title[lang]} · Bondgate`;
}

function renderVerdict() {
  const v = view?.display.verdict ?? null;
  const tone = v?.tone ?? 'idle';
  $('verdict').className = `verdict tone-${tone}`;
  $('verdict-mark').textContent = MARK[tone] ?? '';
  $('verdict-primary').textContent = v ? v[lang] : t('idle', lang);
  $('verdict-secondary').textContent = v ? v[other(lang)] : t('idle', other(lang));
  $('verdict-detail').textContent = v?.details?.[lang] ?? v?.detail ?? '';
}

function keyLabel(key) {
  return key.length === 1 ? `Alt+${key.toUpperCase()}` : key;
}

/** Function keys work alone; a one-character key needs Alt, or a scanned code starting with it would fire it. */
function matcher(key) {
  if (key.length === 1) {
    const k = key.toLowerCase();
    const code = /[0-9]/.test(k) ? `Digit${k}` : `Key${k.toUpperCase()}`;
    return (e) => e.altKey && !e.ctrlKey && !e.metaKey && (e.code === code || e.key.toLowerCase() === k);
  }
  return (e) => e.key === key && !e.altKey && !e.ctrlKey && !e.metaKey;
}

function renderActions() {
  const actions = view?.actions ?? [];
  const taken = new Set(actions.map((a) => a.key).filter(Boolean));
  const spare = SPARE_KEYS.filter((k) => !taken.has(k));
  bindings = actions.map((a) => {
    const key = a.key || spare.shift();
    return { action: a, key, match: key ? matcher(key) : () => false };
  });
  const box = $('actions');
  if (bindings.length === 0) {
    box.replaceChildren(el('p', { class: 'hint', text: t('noActions', lang) }));
    return;
  }
  box.replaceChildren(
    ...bindings.map((b) => {
      const button = el(
        'button',
        { type: 'button', tabindex: '-1', class: `action tone-${b.action.tone ?? 'idle'}`, disabled: mode !== 'scan', dataset: { actionId: b.action.id } },
        b.key ? el('kbd', { text: keyLabel(b.key) }) : null,
        el('span', { class: 'action-primary', text: b.action[lang] }),
        el('span', { class: 'action-secondary', text: b.action[other(lang)] }),
        b.action.needsReason ? el('span', { class: 'action-reason', text: `(${t('reasonFor', lang)})` }) : null,
      );
      button.addEventListener('click', () => trigger(b.action));
      return button;
    }),
  );
}

function renderScans() {
  const codes = view?.display.lastCodes ?? [];
  // GS (0x1D) inside GS1 codes is invisible: show it as <GS> (plain ASCII, every font has it).
  $('last-codes').replaceChildren(...(codes.length ? codes.slice(0, 10).map((c) => el('li', { text: c.replaceAll('\u001d', '<GS>') })) : [el('li', { class: 'hint', text: t('none', lang) })]));
  const w = view?.display.weightKg;
  $('weight').textContent = w === null || w === undefined ? '—' : `${Number(w).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 3 })} kg`;
}

function renderSync() {
  const s = view?.sync;
  if (!s) return $('sync').replaceChildren();
  // Ages were measured when the view was made; count on locally between pushes.
  const elapsed = Math.max(0, Date.now() - receivedAtMs);
  $('sync').replaceChildren(
    el('div', {}, el('span', { class: `pill ${s.online ? 'pill-go' : 'pill-stop'}`, id: 'sync-online', text: t(s.online ? 'online' : 'offline', lang) }), ' ', el('span', { class: 'secondary', text: t(s.online ? 'online' : 'offline', other(lang)) })),
    el('div', {}, `${t('backlog', lang)}: `, el('b', { id: 'sync-backlog', text: String(s.backlog) }), s.backlog > 0 ? ` · ${t('backlogAge', lang)} ${duration(s.backlogAgeMs + elapsed, lang)}` : ''),
    el('div', {}, `${t('cache', lang)}: `, el('b', { id: 'sync-cache', text: `v${s.cacheVersion}` }), ' · ', s.cacheAgeMs === null ? t('never', lang) : `${t('cacheAge', lang)} ${duration(s.cacheAgeMs + elapsed, lang)}${lang === 'zh' ? '' : ' '}${t('ago', lang)}`),
    // replaceChildren would print a null as the text "null": add the badge only when there is one.
    ...(s.stale ? [el('div', { id: 'cache-stale', class: 'badge-stale', role: 'alert', text: `${t('cacheStale', 'zh')} ${t('cacheStale', 'en')}` })] : []),
  );
}

function renderDevices() {
  const devices = view?.devices ?? [];
  $('devices').replaceChildren(
    ...(devices.length
      ? devices.map((d) => el('span', { class: `pill state-${d.state}`, title: d.kind }, `${d.id} · ${t(`state_${d.state}`, lang)}`))
      : [el('span', { class: 'hint', text: t('noDevices', lang) })]),
  );
}

function renderRecent() {
  const recent = view?.display.recent ?? [];
  $('recent').replaceChildren(
    ...(recent.length
      ? recent.slice(0, 20).map((r) =>
          el('li', { class: `tone-${r.tone}` }, el('time', { datetime: new Date(r.atMs).toISOString(), text: clock(r.atMs, lang) }), el('span', { text: r[lang] }), el('span', { class: 'secondary', text: r[other(lang)] })),
        )
      : [el('li', { class: 'hint', text: t('none', lang) })]),
  );
}

function renderOfficer() {
  const isBench = station?.kind === 'bench';
  $('officer-box').hidden = !isBench;
  if (!isBench) return;
  const o = benchOfficer?.officer ? benchOfficer : null;
  $('officer-state').replaceChildren(
    ...(o
      ? [el('b', { id: 'officer-name', text: o.officer }), ` · ${t('officerSignedIn', lang)} · ${t('officerUntil', lang)} ${clock(o.expiresAtMs, lang, true)} ${t('chinaTime', lang)}`]
      : [el('span', { class: 'hint', text: `${t('officerNone', lang)} / ${t('officerNone', other(lang))}` })]),
  );
  $('officer-signout').hidden = !o || !operatorId;
}

function renderAll() {
  renderTitle();
  renderOfficer();
  renderVerdict();
  renderActions();
  renderScans();
  renderSync();
  renderDevices();
  renderRecent();
}

// ---- modes and focus -------------------------------------------------------------------------------------

function allowedInputs() {
  if (mode === 'login') return [$('operator'), $('pin')];
  if (mode === 'reason') return [$('reason')];
  return [$('scan')];
}

function keepFocus() {
  const allowed = allowedInputs();
  if (!allowed.includes(document.activeElement)) allowed[0].focus();
}

function setMode(next) {
  mode = next;
  $('login-box').hidden = mode !== 'login';
  $('scan-box').hidden = mode === 'login';
  $('reason-form').hidden = mode !== 'reason';
  $('scan').disabled = mode === 'reason';
  if (mode !== 'reason') {
    pendingAction = null;
    $('reason').value = '';
  }
  renderActions();
  keepFocus();
}

function setOperator(id) {
  operatorId = id;
  $('who').hidden = !id;
  $('signout').hidden = !id;
  $('operator-id').textContent = id ?? '';
  setMode(id ? 'scan' : 'login');
  renderOfficer();
}

function toggleLang() {
  lang = other(lang);
  setLang(lang);
  applyLang(lang);
  renderAll();
}

// ---- results and requests --------------------------------------------------------------------------------

function showResult(ok, text, holdMs = ok ? 4000 : 8000) {
  const box = $('result');
  box.className = `result ${ok === null ? 'result-pending' : ok ? 'result-ok' : 'result-err'}`;
  box.replaceChildren(el('span', { class: 'result-mark', text: ok === null ? '…' : ok ? '✓' : '✗' }), el('span', { class: 'result-primary', text: text[lang] }), el('span', { class: 'secondary', text: text[other(lang)] }));
  box.hidden = false;
  clearTimeout(resultTimer);
  resultTimer = setTimeout(() => (box.hidden = true), holdMs);
}

function hideResult() {
  clearTimeout(resultTimer);
  $('result').hidden = true;
}

const both = (key) => ({ zh: t(key, 'zh'), en: t(key, 'en') });

function errorText(res) {
  const key = `err_${res.body?.code ?? 'OTHER'}`;
  const text = key in I18N.zh ? both(key) : both('err_OTHER');
  const field = res.body?.fields?.[0]?.field;
  return field ? { zh: `${text.zh}（${field}）`, en: `${text.en} (${field})` } : text;
}

async function post(path, body) {
  try {
    const res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { code: 'OTHER', message: text.slice(0, 200) };
    }
    return { ok: res.ok, status: res.status, body: json };
  } catch (err) {
    return { ok: false, status: 0, body: { code: 'NETWORK', message: String(err) } };
  }
}

/** Inputs go one at a time, in the order typed: a station decides on a sequence of scans. */
function submit(input) {
  showResult(null, both('sending'), 30_000);
  queue = queue.then(async () => {
    const res = await post(`${base}/submit`, input);
    if (res.status === 401) {
      setOperator(null);
      showResult(false, both('sessionEnded'));
    } else if (res.ok) {
      const r = res.body ?? {};
      showResult(r.ok === true, { zh: r.zh ?? t(r.ok ? 'done' : 'refused', 'zh'), en: r.en ?? t(r.ok ? 'done' : 'refused', 'en') });
    } else showResult(false, errorText(res));
  });
}

async function loadOfficer() {
  if (station?.kind !== 'bench') return renderOfficer();
  try {
    const r = await fetch(`${base}/officer`, { credentials: 'same-origin' });
    benchOfficer = r.ok ? await r.json() : null;
  } catch {
    benchOfficer = null;
  }
  renderOfficer();
}

/** The officer's bench token: checked by the console (this hub's key, this gateway and bench, not expired). */
function officerSignIn(token) {
  showResult(null, both('sending'), 30_000);
  queue = queue.then(async () => {
    const res = await post(`${base}/officer`, { token });
    if (res.status === 401) {
      setOperator(null);
      showResult(false, both('sessionEnded'));
    } else if (res.ok) {
      benchOfficer = res.body;
      renderOfficer();
      showResult(true, { zh: `${t('officerSignedIn', 'zh')}: ${res.body.officer}`, en: `${t('officerSignedIn', 'en')}: ${res.body.officer}` });
    } else {
      const why = `officerErr_${res.body?.fields?.[0]?.message ?? ''}`;
      showResult(false, why in I18N.zh ? both(why) : errorText(res));
    }
  });
}

async function officerSignOut() {
  const res = await post(`${base}/officer/signout`, {});
  if (res.ok) benchOfficer = res.body;
  renderOfficer();
}

function trigger(action) {
  if (mode !== 'scan') return;
  if (action.needsReason) {
    pendingAction = action;
    $('reason-action').textContent = `${action[lang]} / ${action[other(lang)]}`;
    setMode('reason');
  } else submit({ kind: 'action', id: action.id });
}

async function signOut() {
  await post('/api/logout');
  setOperator(null);
}

// ---- live view -------------------------------------------------------------------------------------------

let source = null;
let watchdog;
let retryTimer;
let retryMs = 1000;
let heartbeatMs = 5000;

function setLive(live) {
  const conn = $('conn');
  conn.dataset.i18n = live ? 'live' : 'reconnecting';
  conn.textContent = t(conn.dataset.i18n, lang);
  conn.className = `pill ${live ? 'pill-go' : 'pill-wait'}`;
  $('conn-lost').hidden = live;
  document.body.classList.toggle('disconnected', !live);
}

function alive() {
  setLive(true);
  retryMs = 1000;
  clearTimeout(watchdog);
  // No frame for three heartbeats: the link is dead even if the socket says otherwise (a pulled cable).
  watchdog = setTimeout(() => reconnect(), heartbeatMs * 3 + 2000);
}

function reconnect() {
  setLive(false);
  source?.close();
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, 10_000);
}

function connect() {
  source?.close();
  source = new window.EventSource(`${base}/events`);
  source.addEventListener('hello', (e) => {
    heartbeatMs = JSON.parse(e.data).heartbeatMs ?? heartbeatMs;
    alive();
  });
  source.addEventListener('view', (e) => {
    view = JSON.parse(e.data);
    receivedAtMs = Date.now();
    alive();
    renderAll();
  });
  source.addEventListener('ping', alive);
  source.addEventListener('error', () => {
    setLive(false);
    // CLOSED (2): the browser gave up (an HTTP error); otherwise it retries by itself.
    if (source.readyState === 2) reconnect();
  });
}

// ---- keyboard --------------------------------------------------------------------------------------------

document.addEventListener('keydown', (e) => {
  const plainAlt = e.altKey && !e.ctrlKey && !e.metaKey;
  if (plainAlt && (e.code === 'KeyL' || e.key.toLowerCase() === 'l')) {
    e.preventDefault();
    toggleLang();
  } else if (plainAlt && (e.code === 'KeyQ' || e.key.toLowerCase() === 'q')) {
    e.preventDefault();
    if (operatorId) signOut();
  } else if (e.key === 'Escape') {
    e.preventDefault();
    if (mode === 'reason') setMode('scan');
    else if (mode === 'scan') $('scan').value = '';
    hideResult();
  } else if (e.key === 'Enter' && mode === 'login' && document.activeElement === $('operator') && !$('pin').value) {
    e.preventDefault();
    $('pin').focus();
  } else if (mode === 'scan') {
    const hit = bindings.find((b) => b.match(e));
    if (hit) {
      e.preventDefault();
      trigger(hit.action);
    }
  }
});

$('scan-form').addEventListener('submit', (e) => {
  e.preventDefault();
  // trim() leaves GS (0x1D) alone: it is part of a GS1 code, not whitespace.
  const text = $('scan').value.trim();
  $('scan').value = '';
  if (text && station?.kind === 'bench' && BENCH_TOKEN.test(text)) officerSignIn(text);
  else if (text) submit({ kind: 'scan', text });
});

$('reason-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const reason = $('reason').value.trim();
  if (!reason || !pendingAction) return;
  const id = pendingAction.id;
  setMode('scan');
  submit({ kind: 'action', id, reason });
});

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = $('operator').value.trim();
  const pin = $('pin').value;
  if (!id) return $('operator').focus();
  if (!pin) return $('pin').focus();
  const res = await post('/api/login', { operatorId: id, pin });
  $('pin').value = '';
  if (res.ok) {
    $('operator').value = '';
    hideResult();
    setOperator(res.body.operatorId);
  } else {
    showResult(false, errorText(res));
    $('pin').focus();
  }
});

$('lang').addEventListener('click', toggleLang);
$('signout').addEventListener('click', signOut);
$('officer-signout').addEventListener('click', officerSignOut);
// Buttons and links work with the mouse without taking focus from the input.
document.addEventListener('mousedown', (e) => {
  if (e.target instanceof window.Element && e.target.closest('button, a')) e.preventDefault();
});
document.addEventListener('focusout', () => setTimeout(keepFocus, 0));
document.addEventListener('click', () => setTimeout(keepFocus, 0));
window.addEventListener('focus', keepFocus);
setInterval(() => view && renderSync(), 1000);
// A bench token expires (or another screen signs the officer out): look again now and then.
setInterval(() => station?.kind === 'bench' && loadOfficer(), 30_000);

// ---- start -----------------------------------------------------------------------------------------------

applyLang(lang);
renderAll();
setMode('login');
connect();
fetch('/api/stations')
  .then((r) => r.json())
  .then((list) => {
    station = list.items.find((s) => s.id === stationId) ?? null;
    renderTitle();
    loadOfficer();
  })
  .catch((err) => console.warn('station list unavailable', err));
fetch('/api/me', { credentials: 'same-origin' })
  .then((r) => (r.ok ? r.json() : null))
  .then((me) => setOperator(me?.operatorId ?? null))
  .catch(() => setOperator(null));
