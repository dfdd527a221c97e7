/** The admin page's words (keys start with 'admin.'); both languages must have the same keys (i18n.test.ts). */
export const admin = {
  zh: {
    'admin.title': '系统管理',
  },
  en: {
    'admin.title': 'Administration',
  },
};
