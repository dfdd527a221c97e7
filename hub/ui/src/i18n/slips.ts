/** The slips page's words (keys start with 'slips.'); both languages must have the same keys (i18n.test.ts). */
export const slips = {
  zh: {
    'slips.title': '核放单',
  },
  en: {
    'slips.title': 'Release slips',
  },
};
