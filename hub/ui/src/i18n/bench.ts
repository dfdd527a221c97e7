/** The bench token page: a customs officer signs in at an edge inspection bench with a token the hub signs. */
export const bench = {
  zh: {
    'bench.title': '查验台令牌',
    'bench.intro': '在边缘查验台登录为海关关员：为所在查验台生成令牌，在查验台扫描二维码或粘贴文本。令牌有效期内，查验台记录的每条查验结果都署您的名字；查验结果只是发现，放行与解除暂停放行仍须在中心办理。',
    'bench.bench': '查验台',
    'bench.none': '中心未配置查验台（配置项 benches）',
    'bench.issue': '生成令牌',
    'bench.token': '令牌文本',
    'bench.qr.alt': '查验台 {bench} 的令牌二维码',
    'bench.until': '有效至 {time}',
    'bench.copy': '复制',
    'bench.copied': '已复制',
    'bench.secret': '令牌等同于您的签名：不要转给他人，离开查验台时在查验台上退出。',
  },
  en: {
    'bench.title': 'Bench token',
    'bench.intro': 'Sign in as the customs officer at an edge inspection bench: get a token for that bench, then scan its QR code or paste its text at the bench. While it is valid, every finding the bench records names you; a finding is only a finding — release and lifting a hold stay at the hub.',
    'bench.bench': 'Bench',
    'bench.none': 'No benches are configured at the hub (config: benches)',
    'bench.issue': 'Get token',
    'bench.token': 'Token text',
    'bench.qr.alt': 'Bench token QR code for {bench}',
    'bench.until': 'Valid until {time}',
    'bench.copy': 'Copy',
    'bench.copied': 'Copied',
    'bench.secret': 'The token signs for you: do not pass it on, and sign out at the bench when you leave it.',
  },
};
