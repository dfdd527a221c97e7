/** The stats page's words (keys start with 'stats.'); both languages must have the same keys (i18n.test.ts). */
export const stats = {
  zh: {
    'stats.title': '统计监测',
  },
  en: {
    'stats.title': 'Statistics',
  },
};
