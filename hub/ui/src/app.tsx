import { useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { ErrorBox, Loading } from './components.tsx';
import { LANGS, setLang, t, useLang } from './i18n/index.ts';
import { AdminPage } from './pages/admin.tsx';
import { BenchPage } from './pages/bench.tsx';
import { EportPage } from './pages/eport.tsx';
import { BondedPage } from './pages/bonded.tsx';
import { GatewaysPage } from './pages/gateways.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { ParcelsPage } from './pages/parcels.tsx';
import { QueuePage } from './pages/queue.tsx';
import { SlipsPage } from './pages/slips.tsx';
import { StatsPage } from './pages/stats.tsx';
import { StockPage } from './pages/stock.tsx';
import { href, useRoute, type Route } from './router.ts';
import { login, logout, useMe, type Me, type Role } from './session.ts';

/** Every page, who may open it (the hub checks again on every request: this only hides what would be refused). */
const PAGES: { id: string; roles: readonly Role[]; Page: (p: { route: Route; me: Me }) => preact.JSX.Element }[] = [
  { id: 'overview', roles: ['manager', 'officer', 'admin', 'operator'], Page: OverviewPage },
  { id: 'parcels', roles: ['manager', 'officer', 'admin', 'operator'], Page: ParcelsPage },
  { id: 'queue', roles: ['officer', 'manager', 'admin'], Page: QueuePage },
  { id: 'slips', roles: ['officer', 'manager', 'admin'], Page: SlipsPage },
  { id: 'bench', roles: ['officer'], Page: BenchPage },
  { id: 'bonded', roles: ['officer', 'manager', 'admin'], Page: BondedPage },
  { id: 'stock', roles: ['manager', 'officer', 'admin', 'operator'], Page: StockPage },
  { id: 'gateways', roles: ['manager', 'admin', 'operator', 'officer'], Page: GatewaysPage },
  { id: 'stats', roles: ['manager', 'officer', 'admin'], Page: StatsPage },
  { id: 'eport', roles: ['officer', 'manager', 'admin'], Page: EportPage },
  { id: 'admin', roles: ['admin'], Page: AdminPage },
];

function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await login(username, password);
    } catch (err) {
      const a = err as ApiError;
      setError(new ApiError(a.status, a.code, a.status === 429 ? t('login.limited') : a.status === 401 ? t('login.failed') : a.message));
    }
  };
  return (
    <main class="login" id="main">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">{t('app.title')}</h1>
        <p class="muted">{t('app.subtitle')}</p>
        <label for="username">{t('login.username')}</label>
        <input id="username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        <label for="password">{t('login.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        <ErrorBox error={error} />
        <button type="submit" class="primary">
          {t('login.submit')}
        </button>
        <LangSwitch />
      </form>
    </main>
  );
}

function LangSwitch() {
  const current = useLang();
  const other = LANGS.find((l) => l !== current)!;
  return (
    // The accessible name starts with what the button shows (WCAG 2.5.3), then says what it does.
    <button type="button" class="link lang" aria-label={`${t('lang.switch')} (${t('lang.label')})`} onClick={() => setLang(other)}>
      {t('lang.switch')}
    </button>
  );
}

export function App() {
  useLang(); // re-render everything on a language switch
  const me = useMe();
  const route = useRoute();
  if (me === undefined) return <Loading />;
  if (me === null) return <LoginPage />;
  const allowed = PAGES.filter((p) => p.roles.includes(me.role));
  const current = PAGES.find((p) => p.id === route.page);
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        {t('skip')}
      </a>
      <header class="top">
        <div class="brand">
          <strong>{t('app.title')}</strong>
          <span class="muted">{t('app.subtitle')}</span>
        </div>
        <div class="who">
          <span>
            <span data-value="">{me.username}</span> · {t(`role.${me.role}`)}
          </span>
          <LangSwitch />
          <button type="button" class="link" onClick={() => void logout()}>
            {t('logout')}
          </button>
        </div>
      </header>
      <nav class="side" aria-label={t('nav.main')}>
        <ul>
          {allowed.map((p) => (
            <li key={p.id}>
              <a href={href(p.id)} aria-current={p.id === (current?.id ?? route.page) ? 'page' : undefined}>
                {t(`nav.${p.id}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {!current ? <p>{t('notFound')}</p> : !current.roles.includes(me.role) ? <ErrorBox error={new ApiError(403, 'FORBIDDEN', t('state.forbidden'))} /> : <current.Page route={route} me={me} />}
      </main>
    </div>
  );
}
