/** The queue page's words (keys start with 'queue.'); both languages must have the same keys (i18n.test.ts). */
export const queue = {
  zh: {
    'queue.title': '关员待处理队列',
  },
  en: {
    'queue.title': 'Officer queue',
  },
};
