/** The gateways page's words (keys start with 'gateways.'); both languages must have the same keys (i18n.test.ts). */
export const gateways = {
  zh: {
    'gateways.title': '网关与设备',
  },
  en: {
    'gateways.title': 'Gateways and devices',
  },
};
