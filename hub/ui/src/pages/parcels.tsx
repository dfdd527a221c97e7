import { t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me } from '../session.ts';

export function ParcelsPage(_props: { route: Route; me: Me }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('parcels.title')}</h1>
    </section>
  );
}
