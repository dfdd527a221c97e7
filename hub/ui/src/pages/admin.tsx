import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Empty, ErrorBox, Loading, Pill, useAsync } from '../components.tsx';
import { fmtTime, t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me, Role } from '../session.ts';
import { RulesSection } from './admin-rules.tsx';
import './admin.css';

/** Users (GET/POST/PATCH /api/users…), gateway credentials (/api/gateways…) and risk rules (/api/risk-rules…), admin only. */
interface User {
  username: string;
  role: Role;
  displayName: string;
  createdMs: number;
  disabled: boolean;
  activeSessions: number;
}
interface Gateway {
  id: string;
  online: boolean;
  lastSeenMs: number | null;
}
interface Credentials {
  gatewayId: string;
  username: string;
  password: string;
  mqttUrl: string | null;
  topicPrefix: string;
}

const ROLES: readonly Role[] = ['admin', 'manager', 'officer', 'operator'];

function UsersSection({ me }: { me: Me }) {
  const users = useAsync((signal) => api<{ items: User[] }>('/api/users', { signal }), []);
  const [form, setForm] = useState({ username: '', displayName: '', role: 'operator' as Role, password: '' });
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const act = async (fn: () => Promise<unknown>, done: string) => {
    setError(undefined);
    try {
      await fn();
      setNotice(done);
      users.reload();
    } catch (e) {
      setError(e);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      await api('/api/users', { method: 'POST', body: form });
      setForm({ username: '', displayName: '', role: 'operator', password: '' });
    }, t('admin.users.created', { username: form.username }));
  };
  return (
    <section class="panel" aria-labelledby="users-title">
      <h2 id="users-title">{t('admin.users.title')}</h2>
      <ErrorBox error={users.error ?? error} />
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      {users.data ? (
        users.data.items.length === 0 ? (
          <Empty />
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('admin.users.username')}</th>
                  <th scope="col">{t('admin.users.displayName')}</th>
                  <th scope="col">{t('admin.users.role')}</th>
                  <th scope="col">{t('admin.users.state')}</th>
                  <th scope="col">{t('admin.users.createdMs')}</th>
                  <th scope="col">{t('admin.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {users.data.items.map((u) => (
                  <tr key={u.username}>
                    <th scope="row" data-value="">
                      {u.username}
                    </th>
                    <td data-value="">{u.displayName}</td>
                    <td>
                      <label class="sr" for={`role-${u.username}`}>
                        {t('admin.users.roleOf', { username: u.username })}
                      </label>
                      <select id={`role-${u.username}`} value={u.role} disabled={u.username === me.username} onChange={(e) => void act(() => api(`/api/users/${encodeURIComponent(u.username)}`, { method: 'PATCH', body: { role: (e.target as HTMLSelectElement).value } }), t('admin.users.roleChanged', { username: u.username }))}>
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {t(`role.${r}`)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>{u.disabled ? <Pill tone="muted">{t('admin.users.disabled')}</Pill> : <Pill tone="ok">{t('admin.users.enabled')}</Pill>}</td>
                    <td>{fmtTime(u.createdMs)}</td>
                    <td>
                      {u.username === me.username ? (
                        <span class="muted">{t('admin.users.self')}</span>
                      ) : (
                        <button type="button" onClick={() => void act(() => api(`/api/users/${encodeURIComponent(u.username)}/${u.disabled ? 'enable' : 'disable'}`, { method: 'POST' }), t(u.disabled ? 'admin.users.enabledDone' : 'admin.users.disabledDone', { username: u.username }))}>
                          {u.disabled ? t('admin.users.enable') : t('admin.users.disable')}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : users.loading ? (
        <Loading />
      ) : null}
      <form class="row admin-form" onSubmit={create} aria-labelledby="new-user-title">
        <h3 id="new-user-title">{t('admin.users.new')}</h3>
        <div>
          <label for="new-username">{t('admin.users.username')}</label>
          <input id="new-username" required autocomplete="off" value={form.username} onInput={(e) => setForm({ ...form, username: (e.target as HTMLInputElement).value })} />
        </div>
        <div>
          <label for="new-display">{t('admin.users.displayName')}</label>
          <input id="new-display" required value={form.displayName} onInput={(e) => setForm({ ...form, displayName: (e.target as HTMLInputElement).value })} />
        </div>
        <div>
          <label for="new-role">{t('admin.users.role')}</label>
          <select id="new-role" value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="new-password">{t('admin.users.password')}</label>
          <input id="new-password" type="password" required minLength={12} autocomplete="new-password" aria-describedby="new-password-hint" value={form.password} onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} />
        </div>
        <button type="submit" class="primary">
          {t('admin.users.create')}
        </button>
        <p id="new-password-hint" class="muted hint">
          {t('admin.users.passwordHint')}
        </p>
      </form>
    </section>
  );
}

/** A gateway password is shown exactly once (the hub keeps only its hash): copy it now. */
function CredentialsBox({ c, onClose }: { c: Credentials; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="credentials" role="alert" aria-labelledby="cred-title">
      <h3 id="cred-title">{t('admin.gw.issued', { id: c.gatewayId })}</h3>
      <p class="warn-text">{t('admin.gw.once')}</p>
      <dl>
        <dt>{t('admin.gw.username')}</dt>
        <dd>
          <code>{c.username}</code>
        </dd>
        <dt>{t('admin.gw.password')}</dt>
        <dd>
          <code data-testid="gateway-password">{c.password}</code>{' '}
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard?.writeText(c.password).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? t('admin.gw.copied') : t('admin.gw.copy')}
          </button>
        </dd>
        {c.mqttUrl ? (
          <>
            <dt>MQTT</dt>
            <dd>
              <code>{c.mqttUrl}</code>
            </dd>
          </>
        ) : null}
      </dl>
      <button type="button" onClick={onClose}>
        {t('admin.gw.done')}
      </button>
    </div>
  );
}

function GatewaysSection() {
  const gateways = useAsync((signal) => api<{ items: Gateway[] }>('/api/gateways', { signal }), []);
  const [id, setId] = useState('');
  const [issued, setIssued] = useState<Credentials>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const run = async (fn: () => Promise<Credentials | undefined>, done = '') => {
    setError(undefined);
    setNotice('');
    try {
      const c = await fn();
      if (c) setIssued(c);
      if (done) setNotice(done);
      gateways.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="panel" aria-labelledby="gw-title">
      <h2 id="gw-title">{t('admin.gw.title')}</h2>
      <ErrorBox error={gateways.error ?? error} />
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      {issued ? <CredentialsBox c={issued} onClose={() => setIssued(undefined)} /> : null}
      <form
        class="row admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const c = await api<Credentials>('/api/gateways', { method: 'POST', body: { id } });
            setId('');
            return c;
          });
        }}
      >
        <div>
          <label for="gw-id">{t('admin.gw.id')}</label>
          <input id="gw-id" required pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,63}" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="primary">
          {t('admin.gw.register')}
        </button>
      </form>
      {gateways.data ? (
        gateways.data.items.length === 0 ? (
          <Empty />
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('admin.gw.id')}</th>
                  <th scope="col">{t('admin.gw.state')}</th>
                  <th scope="col">{t('admin.gw.lastSeen')}</th>
                  <th scope="col">{t('admin.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {gateways.data.items.map((g) => (
                  <tr key={g.id}>
                    <th scope="row">{g.id}</th>
                    <td>{g.online ? <Pill tone="ok">{t('admin.gw.online')}</Pill> : <Pill tone="muted">{t('admin.gw.offline')}</Pill>}</td>
                    <td>{fmtTime(g.lastSeenMs)}</td>
                    <td class="actions">
                      <button type="button" onClick={() => window.confirm(t('admin.gw.rotateConfirm', { id: g.id })) && void run(() => api<Credentials>(`/api/gateways/${encodeURIComponent(g.id)}/credentials`, { method: 'POST' }))}>
                        {t('admin.gw.rotate')}
                      </button>
                      <button type="button" class="danger" onClick={() => window.confirm(t('admin.gw.revokeConfirm', { id: g.id })) && void run(async () => (await api(`/api/gateways/${encodeURIComponent(g.id)}/credentials`, { method: 'DELETE' }), undefined), t('admin.gw.revoked', { id: g.id }))}>
                        {t('admin.gw.revoke')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : gateways.loading ? (
        <Loading />
      ) : null}
    </section>
  );
}

export function AdminPage({ me }: { route: Route; me: Me }) {
  return (
    <section aria-labelledby="page-title" class="admin">
      <h1 id="page-title">{t('admin.title')}</h1>
      <UsersSection me={me} />
      <GatewaysSection />
      <RulesSection />
    </section>
  );
}
