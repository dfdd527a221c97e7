/** The parcels page's words (keys start with 'parcels.'); both languages must have the same keys (i18n.test.ts). */
export const parcels = {
  zh: {
    'parcels.title': '包裹查询与轨迹',
  },
  en: {
    'parcels.title': 'Parcel search and timeline',
  },
};
