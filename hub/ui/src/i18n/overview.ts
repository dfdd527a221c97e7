/** The overview page's words (keys start with 'overview.'); both languages must have the same keys (i18n.test.ts). */
export const overview = {
  zh: {
    'overview.title': '区域总览',
  },
  en: {
    'overview.title': 'Zone overview',
  },
};
