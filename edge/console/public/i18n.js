// Bilingual labels for the console pages: zh-CN by default, English on request (remembered in localStorage).
// Every label exists in both languages; a missing key shows the key itself, so a gap is visible, never blank.

export const I18N = {
  zh: {
    consoleTitle: 'Bondgate 边缘控制台',
    stations: '工位',
    noStations: '没有配置工位',
    lang: 'English',
    langKey: 'Alt+L',
    signin: '操作员登录',
    operatorId: '操作员编号',
    pin: 'PIN 码',
    signinBtn: '登录',
    signinHint: '输入编号，Tab 切换，回车登录',
    signout: '退出',
    operator: '操作员',
    readOnly: '只读：登录后才能扫描和操作',
    scan: '扫描',
    scanHint: '扫描或输入条码，回车提交；Esc 清除',
    reasonFor: '原因',
    reasonHint: '输入原因，回车确认；Esc 取消',
    actions: '操作',
    noActions: '当前没有可用操作',
    weight: '重量',
    lastScans: '最近扫描',
    none: '无',
    devices: '设备',
    noDevices: '没有设备',
    sync: '与中心同步',
    online: '在线',
    offline: '离线',
    backlog: '待上传',
    backlogAge: '最早一条',
    cache: '缓存版本',
    cacheAge: '缓存更新于',
    never: '从未同步',
    ago: '前',
    cacheStale: '缓存过期',
    recent: '最近活动（北京时间）',
    live: '实时',
    reconnecting: '重新连接中…',
    connLost: '与工位的连接中断，显示的可能不是最新状态',
    idle: '等待扫描',
    sending: '提交中…',
    done: '完成',
    refused: '未完成',
    sessionEnded: '登录已失效，请重新登录',
    keys: '键盘：回车 提交 · Esc 清除 · Alt+L 中文/English · Alt+Q 退出 · 功能键见按钮',
    listKeys: '键盘：数字键 打开工位 · Alt+L 中文/English',
    unknownStation: '没有这个工位',
    backToList: '返回工位列表',
    state_up: '正常',
    state_stale: '无数据',
    state_down: '断开',
    state_starting: '启动中',
    kind_inspection: '查验线',
    kind_gate: '卡口',
    kind_warehouse: '仓库',
    kind_overseas: '海外仓',
    kind_bench: '查验台',
    benchOfficer: '海关关员',
    officerNone: '未有关员登录：查验结果仅记录操作员，中心视为未核验',
    officerSignedIn: '关员已登录（令牌已核验）',
    officerUntil: '有效至',
    chinaTime: '（北京时间）',
    officerSignout: '关员退出',
    officerHint: '关员在中心“查验台令牌”页获取令牌，在扫描框扫描其二维码或粘贴文本，回车登录',
    officerErr_no_key: '本网关未配置中心公钥，无法核验令牌',
    officerErr_malformed: '这不是查验台令牌',
    officerErr_bad_signature: '令牌签名无效（非本中心签发）',
    officerErr_wrong_gateway: '令牌属于其他网关',
    officerErr_wrong_station: '令牌属于其他查验台',
    officerErr_not_yet_valid: '令牌尚未生效（请检查本机时钟）',
    officerErr_expired: '令牌已过期，请在中心重新获取',
    sec: '秒',
    min: '分钟',
    hour: '小时',
    day: '天',
    err_UNAUTHENTICATED: '编号或 PIN 码错误，或未登录',
    err_RATE_LIMITED: '登录失败次数过多，请稍后再试',
    err_SIGN_IN_BUSY: '正在核对的登录过多，请稍后再试',
    err_VALIDATION_FAILED: '输入无效',
    err_PAYLOAD_TOO_LARGE: '输入太长',
    err_ACTION_UNAVAILABLE: '该操作当前不可用',
    err_CROSS_SITE: '请求来源不被允许',
    err_STATION_FAILED: '工位处理失败',
    err_NETWORK: '无法连接工位',
    err_OTHER: '出错了',
  },
  en: {
    consoleTitle: 'Bondgate edge console',
    stations: 'Stations',
    noStations: 'No stations configured',
    lang: '中文',
    langKey: 'Alt+L',
    signin: 'Operator sign-in',
    operatorId: 'Operator ID',
    pin: 'PIN',
    signinBtn: 'Sign in',
    signinHint: 'Type your ID, Tab, PIN, Enter',
    signout: 'Sign out',
    operator: 'Operator',
    readOnly: 'Read-only: sign in to scan and act',
    scan: 'Scan',
    scanHint: 'Scan or type a code, Enter to submit; Esc clears',
    reasonFor: 'Reason',
    reasonHint: 'Type the reason, Enter to confirm; Esc cancels',
    actions: 'Actions',
    noActions: 'No actions available now',
    weight: 'Weight',
    lastScans: 'Last scans',
    none: 'none',
    devices: 'Devices',
    noDevices: 'No devices',
    sync: 'Hub sync',
    online: 'online',
    offline: 'offline',
    backlog: 'Backlog',
    backlogAge: 'oldest',
    cache: 'Cache version',
    cacheAge: 'cache updated',
    never: 'never synced',
    ago: 'ago',
    cacheStale: 'cache stale',
    recent: 'Recent activity (China time)',
    live: 'live',
    reconnecting: 'reconnecting…',
    connLost: 'Connection to the station lost: the display may be out of date',
    idle: 'Waiting for a scan',
    sending: 'Sending…',
    done: 'Done',
    refused: 'Not done',
    sessionEnded: 'Your session ended: sign in again',
    keys: 'Keys: Enter submit · Esc clear · Alt+L 中文/English · Alt+Q sign out · function keys on the buttons',
    listKeys: 'Keys: digit opens a station · Alt+L 中文/English',
    unknownStation: 'No such station',
    backToList: 'Back to the station list',
    state_up: 'up',
    state_stale: 'stale',
    state_down: 'down',
    state_starting: 'starting',
    kind_inspection: 'Inspection line',
    kind_gate: 'Gate',
    kind_warehouse: 'Warehouse',
    kind_overseas: 'Overseas warehouse',
    kind_bench: 'Officer bench',
    benchOfficer: 'Customs officer',
    officerNone: 'No officer signed in: findings name the operator only, unverified at the hub',
    officerSignedIn: 'Officer signed in (token verified)',
    officerUntil: 'valid until',
    chinaTime: '(China time)',
    officerSignout: 'Officer sign-out',
    officerHint: 'The officer gets a bench token on the hub’s “Bench token” page: scan its QR code or paste it into the scan field, then Enter',
    officerErr_no_key: 'This gateway has no hub public key configured: tokens cannot be checked',
    officerErr_malformed: 'This is not a bench token',
    officerErr_bad_signature: 'Token signature invalid (not issued by this hub)',
    officerErr_wrong_gateway: 'The token is for another gateway',
    officerErr_wrong_station: 'The token is for another bench',
    officerErr_not_yet_valid: 'The token is not valid yet (check this machine’s clock)',
    officerErr_expired: 'The token has expired: get a new one at the hub',
    sec: 's',
    min: 'min',
    hour: 'h',
    day: 'd',
    err_UNAUTHENTICATED: 'Wrong ID or PIN, or not signed in',
    err_RATE_LIMITED: 'Too many failed sign-ins: wait, then try again',
    err_SIGN_IN_BUSY: 'Too many sign-ins being checked: try again in a moment',
    err_VALIDATION_FAILED: 'Input not valid',
    err_PAYLOAD_TOO_LARGE: 'Input too long',
    err_ACTION_UNAVAILABLE: 'This action is not available now',
    err_CROSS_SITE: 'Request origin refused',
    err_STATION_FAILED: 'The station failed',
    err_NETWORK: 'Cannot reach the station',
    err_OTHER: 'Something went wrong',
  },
};

const LANG_KEY = 'bondgate.console.lang';
let memoryLang = 'zh';

export function getLang() {
  try {
    return window.localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    // Storage blocked (kiosk profile, private mode): the choice lives for this page only.
    return memoryLang;
  }
}

export function setLang(lang) {
  memoryLang = lang;
  try {
    window.localStorage.setItem(LANG_KEY, lang);
  } catch {
    memoryLang = lang; // storage blocked: kept in memory only (see getLang)
  }
}

export const other = (lang) => (lang === 'zh' ? 'en' : 'zh');

/**
 * The zone's clock, whatever the browser's zone: the hub's dashboard shows China time, and the same event must read
 * the same on both screens (issue 17 item 10). Labels that show times say which zone.
 */
export const ZONE = 'Asia/Shanghai';
export function clock(ms, lang = getLang(), withDate = false) {
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: ZONE,
    hourCycle: 'h23',
    ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(ms);
}

export function t(key, lang = getLang()) {
  return I18N[lang][key] ?? I18N.zh[key] ?? key;
}

/** Fill every [data-i18n] element's text and set <html lang>. */
export function applyLang(lang = getLang()) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n, lang);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder, lang);
}

/** "3 分钟" / "3 min": coarse on purpose, an operator reads it at a glance. */
export function duration(ms, lang = getLang()) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} ${t('sec', lang)}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} ${t('min', lang)}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} ${t('hour', lang)} ${m % 60} ${t('min', lang)}`;
  return `${Math.floor(h / 24)} ${t('day', lang)}`;
}

/** A tiny element builder: text goes in as textContent, never as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c);
  return node;
}
