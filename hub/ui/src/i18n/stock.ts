/** The stock page's words (keys start with 'stock.'); both languages must have the same keys (i18n.test.ts). */
export const stock = {
  zh: {
    'stock.title': '区内库存',
  },
  en: {
    'stock.title': 'Zone stock',
  },
};
