// The station list: digit keys open a station, Alt+L switches the language.
import { applyLang, el, getLang, other, setLang, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
let lang = getLang();
let list = { title: null, items: [] };

function render() {
  applyLang(lang);
  if (list.title) $('console-title').textContent = list.title;
  document.title = list.title ?? t('consoleTitle', lang);
  $('stations').replaceChildren(
    ...(list.items.length
      ? list.items.map((s, i) =>
          el(
            'li',
            {},
            el(
              'a',
              { href: `/station/${encodeURIComponent(s.id)}`, class: 'station-link' },
              i < 9 ? el('kbd', { text: String(i + 1) }) : null,
              el('span', { class: 'station-primary', text: s.title[lang] }),
              el('span', { class: 'secondary', text: `${s.title[other(lang)]} · ${t(`kind_${s.kind}`, lang)}` }),
            ),
          ),
        )
      : [el('li', { class: 'hint', text: t('noStations', lang) })]),
  );
  document.querySelector('.station-link')?.focus();
}

function toggleLang() {
  lang = other(lang);
  setLang(lang);
  render();
}

document.addEventListener('keydown', (e) => {
  if (e.altKey && !e.ctrlKey && !e.metaKey && (e.code === 'KeyL' || e.key.toLowerCase() === 'l')) {
    e.preventDefault();
    toggleLang();
    return;
  }
  if (e.altKey || e.ctrlKey || e.metaKey || !/^[1-9]$/.test(e.key)) return;
  const station = list.items[Number(e.key) - 1];
  if (station) window.location.assign(`/station/${encodeURIComponent(station.id)}`);
});
$('lang').addEventListener('click', toggleLang);

render();
fetch('/api/stations')
  .then((r) => r.json())
  .then((body) => {
    list = body;
    render();
  })
  .catch((err) => console.warn('station list unavailable', err));
