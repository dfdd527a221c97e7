/**
 * Reasons as codes with parameters, said in the reader's language (issue 17 item 5). The hub stores and sends a reason
 * as `{code, params}` beside its English `message` (kept for API clients and old readers); every screen — the hub's
 * dashboard and the station consoles — renders the code here, in zh-CN or English. Pure and side-free: shared/ knows
 * no side, so both dictionaries live in this one table.
 *
 * Rendering gives pieces, not only a string, so a screen can mark values (numbers, codes, names as declared) as data
 * (`translate="no"`) and show where two compared values differ (`diff`). A reason whose code is unknown here renders as
 * undefined: the caller shows its stored message as it is (reasons stored before codes existed).
 */
export const REASON_LANGS = ['zh-CN', 'en'] as const;
export type ReasonLang = (typeof REASON_LANGS)[number];
export type ReasonParam = string | number | boolean | null | readonly string[];
export type ReasonParams = Record<string, ReasonParam>;
export interface CodedReason {
  code: string;
  params?: ReasonParams;
}

/** A piece of a rendered reason: words in the reader's language, a value as declared, or the part of a value that differs. */
export interface ReasonPiece {
  text: string;
  kind: 'text' | 'value' | 'diff';
}

type Table = Record<string, string>;

/** Reason texts. `{name}` is a parameter; the renderer localises document, field, role, severity and rule parameters. */
const TEXTS: Record<ReasonLang, Table> = {
  'zh-CN': {
    // Three-document matching (hub/customs/matching.ts)
    'match.differs': '{a}的{field}与{b}的{rightField}不一致',
    'match.differs.values': '{a}的{field} {left} ≠ {b}的{rightField} {right}',
    'match.list-line-unpaired': '申报清单第 {gnum} 项在订单中没有对应商品',
    'match.order-line-unlisted': '订单第 {gnum} 项不在申报清单上',
    'match.total': '申报清单总价 {total} 与订单货值 {goods} 相差超过 {pct}%',
    'match.weight': '申报清单毛重 {list} kg 与运单重量 {waybill} kg 相差超过 {pct}% 与 {kg} kg 中的较大者',
    'match.paid-formula': '订单实付金额 {left} ≠ 货值 + 运费 + 税款 − 优惠 {right}',
    'match.line-total': '{doc}第 {gnum} 项总价 {left} ≠ 单价 × 数量 {right}',
    'match.bonded-field': '贸易方式 {tradeMode} 的申报清单必须填写{field}',
    'match.bonded-line': '贸易方式 {tradeMode} 的申报清单第 {gnum} 项必须填写{field}',
    'match.incomplete': '缺少单证：{docs}',
    // Customs receipts (hub/customs/risk.ts decideRelease, hub/customs/cases.ts)
    'customs.no-receipt': '申报清单尚未收到海关回执',
    'customs.status': '海关回执 {status}（{statusText}）',
    'customs.status.info': '海关回执 {status}（{statusText}）：{info}',
    'customs.awaiting': '等待海关：回执 {status}（{statusText}）',
    'customs.awaiting.info': '等待海关：回执 {status}（{statusText}）：{info}',
    'customs.cleared': '海关回执 {status}（{statusText}）；单证齐全一致；低风险（规则 {rulesVersion}）',
    'customs.document-rejected': '{doc}被海关退回（{messageType} {status}）',
    'customs.document-rejected.info': '{doc}被海关退回（{messageType} {status}）：{info}',
    'customs.unexpected': '{messageType} 回执状态 {status} 不属于该报文：已保留，未据此处理',
    'customs.cancel-requested': '已申请撤销申报清单（623/605）：海关答复前不能放行',
    'customs.cancelled': '海关已同意撤销申报清单（624/606 399）：不能放行',
    'customs.returned': '已退运（700）：案件已结',
    'customs.awaiting-release': '海关已审结（399），待海关放行（800）',
    'customs.899-without-800': '已结关（899）但无放行（800）记录：不视为放行',
    // Risk rules (hub/customs/risk.ts assessRisk)
    'risk.weight.out-of-tolerance': '实测 {measured} kg，申报 {declared} kg，相差超过 {pct}% 与 {kg} kg 中的较大者',
    'risk.xray.suspect': 'X光图像标记为可疑',
    'risk.xray.reject': 'X光判图不予通过',
    'risk.xray.unreadable': 'X光图像无法判读',
    'risk.value.transaction-limit': '交易金额 {value} 超过单次交易限值 {limit}（海关 -621005）',
    'risk.value.full-tax': '单件不可分割商品 {value} 超过单次交易限值 {limit}，未超过年度限值 {annual}：允许进口，按一般贸易全额征税',
    'risk.value.annual-unknown': '订购人年度累计交易额未知，无法核对年度限值',
    'risk.value.annual-limit': '订购人年度累计 {ytd} 加本次 {value} 超过年度限值 {limit}（海关 -621018）',
    'risk.hs.restricted': '第 {gnum} 项（{gname}）：商品编码 {gcode} 属涉证涉限商品',
    'risk.hs.not-on-positive-list': '第 {gnum} 项（{gname}）：商品编码 {gcode} 不在跨境电商零售进口商品清单内',
    'risk.credit.dishonest': '{role} {code} {name} 为失信企业',
    'risk.watch.sender': '发货人 {hit} 在重点关注名单',
    'risk.watch.consignee': '收货人 {name}（{telephone}）在重点关注名单',
    'risk.watch.buyer': '订购人证件 {id} 在重点关注名单',
    'risk.match.inconsistent': '三单不一致：{rules}',
    'risk.match.incomplete': '缺少单证：{docs}',
    'risk.sample.random': '随机抽中查验（抽检率 {rate}）',
    'risk.signature.invalid': '{doc}报文签名无效（{reason}）',
    // Refusals of an officer's action (hub/customs/cases.ts applyOfficer → 409 with code and params)
    'refuse.no-case': '该包裹没有海关案件（单证尚未到达）',
    'refuse.order-conflict': '订单 {orders} 均申报了该包裹：请先确定其所属订单',
    'refuse.no-order-conflict': '该案件没有订单冲突',
    'refuse.not-a-claimant': '{orderNo} 不是申报该包裹的订单之一（{orders}）',
    'refuse.version': '案件已被他人更新（版本 {had} → {now}）：请刷新后重新操作',
    'refuse.closed': '案件已结（{status}）',
    'refuse.already-released': '已放行',
    'refuse.already-held': '已暂停放行',
    'refuse.inspection-ordered': '已下达查验：请录入查验结果（通过）后放行',
    'refuse.inspection-already': '已下达查验',
    'refuse.documents-incomplete': '单证不齐：单证不全的包裹不能放行',
    'refuse.documents-disagree': '单证不一致：单证未一致的包裹不能放行',
    'refuse.customs-stops': '海关截停此包裹（{status}）：关员放行不能覆盖',
    'refuse.cancellation': '申报清单已申请撤销或已撤销（623/624）：不能放行',
    'refuse.unexpected-status': '海关发来该报文不应有的状态（{statuses}）：请先与海关核实',
    'refuse.receipt-authority': '只有海关可以放行：申报清单尚无海关放行（800）回执；按「receipt」放行权限，关员可暂停放行、下达查验、录入查验结果和备注',
    'refuse.receipt-authority.concluded': '只有海关可以放行：申报清单尚无海关放行（800）回执，399（已审结）不是放行；按「receipt」放行权限，关员可暂停放行、下达查验、录入查验结果和备注',
    // Station feed texts (hub/customs/cases.ts caseToParcelDecision)
    'feed.pending': '待关员审核',
    'feed.awaiting-release': '待海关放行（800）',
    'feed.awaiting-release.passed': '查验通过，待海关放行（800）',
    'feed.by-officer': '关员 {officer} 处置：{status}',
    // Bench (shared/stations/bench.ts)
    'bench.pass.no-findings': '查验台查验：未发现问题',
    // Inspection line (shared/stations/inspection.ts chooseLane), shown on the line console
    'line.no-read': '未读到条码',
    'line.read-refused': '条码被拒读：{reason}',
    'line.multi-read': '读到多个面单：{codes}',
    'line.no-rules': '没有中心签发的有效规则：按安全方式处理',
    'line.stale-cache': '本地中心判定副本已过期：按安全方式处理',
    'line.unknown-parcel': '中心不认识包裹 {code}',
    'line.customs-hold': '海关暂不放行',
    'line.inspection-ordered': '海关查验',
    'line.xray-fault': 'X光机故障：{fault}',
    'line.xray-unreadable': 'X光图像无法判读',
    'line.xray-timeout': '未及时收到X光判图结果',
    'line.xray-verdict': 'X光判图：{verdict}',
    'line.weight-unsettled': '称重始终不稳定',
    'line.no-weight': '没有稳定的称重',
    'line.weight-out': '称重 {measured} kg，申报 {declared} kg，超出允许偏差',
    'line.sample': '随机抽检（{rate}%）',
    'line.sample.hub': '随机抽检（由中心抽取）',
    'line.station-refused': '站点的事件未通过校验，包裹未按规则判定：{error}',
    // Alarms (hub/customs/alarms.ts): one sentence per kind; the raw detail (an errno, a device's words) is kept apart
    'alarm.seal_opened_outside_fence': '铅封 {seal} 在电子围栏外被打开',
    'alarm.seal_tampered_outside_fence': '铅封 {seal} 在电子围栏外被破坏',
    'alarm.fence_breached': '越出电子围栏 {fence}',
    'alarm.fence_breached.seal': '铅封 {seal} 越出电子围栏 {fence}',
    'alarm.fence_breached.low': '可能越出电子围栏 {fence}（定位精度低）',
    'alarm.fence_breached.seal.low': '铅封 {seal} 可能越出电子围栏 {fence}（定位精度低）',
    'alarm.disk_soft_limit': '网关磁盘用量超过软上限',
    'alarm.disk_hard_limit': '网关磁盘用量达到硬上限：开始舍弃遥测数据',
    'alarm.clock_unsynced': '网关时钟未同步：事件时间的可信度下降',
    'alarm.journal_key_changed': '网关日志签名密钥已变更',
    'alarm.station_event_refused': '站点 {station} 的事件未通过校验：已另存为站点异常，包裹未按规则判定',
    'alarm.device_down': '设备 {device} 离线',
    'alarm.journal_alert': '网关日志证据链存疑：{alert}',
    'alarm.bench_refused': '未配置为查验台的站点 {station} 发来查验结果：已拒收',
    'alarm.customs_unexpected_status': '海关回执状态不属于该报文：已保留，未据此处理',
    'alarm.customs_unexpected_status.receipt': '包裹 {parcel}（订单 {orderNo}）：{messageType} 回执状态 {status} 不属于该报文：已保留，未据此处理',
    'alarm.release_unconfirmed': '关员已放行，海关未在规定时间内发来放行（800）回执',
    'alarm.release_unconfirmed.parcel': '包裹 {parcel}（订单 {orderNo}）由关员 {officer} 放行，{minutes} 分钟后仍未收到海关放行（800）回执',
    'alarm.eport_signer_away': '电子口岸签名客户端无法连接',
    'alarm.eport_signer_slow': '电子口岸签名客户端未及时响应',
    'alarm.eport_signer_refused': '电子口岸签名客户端拒绝签名',
    'alarm.eport_signer_failed': '电子口岸签名客户端返回无法使用的结果',
    'alarm.eport_signer_cert_expiring': '电子口岸签名证书即将到期',
    'alarm.eport_signer_cert_expired': '电子口岸签名证书已过期',
    'alarm.eport_not_sent': '电子口岸报文未能签名、校验或写出：仍在发送队列中',
    'alarm.eport_no_receipt': '电子口岸报文已发送，未按时收到业务回执',
    'alarm.bonded_book_difference': '账册余额与保税库存盘点数不一致',
    'alarm.bonded_book_difference.item': '料号 {item}：盘点 {counted}，账册应为 {expected}（{day}）',
    'alarm.bonded_receipt_refused': '账册无法应用一份海关回执',
    'alarm.bonded_sku_unmapped': '理货商品未对应账册料号：一线入区核注清单暂缓',
    'alarm.bonded_list_invalid': '由理货生成的一线入区核注清单不符合字段规则：暂缓，未发送',
    'alarm.bonded_tally_after_list': '入区清单已申报核注后又收到货物',
    'alarm.bonded_slip_no_vehicle': '一线入区核注清单已审批，但理货前卡口未见入区车辆：请手工准备核放单',
    // Generic
    absent: '（缺失）',
  },
  en: {
    'match.differs': '{a} {field} differs from {b} {rightField}',
    'match.differs.values': '{a} {field} {left} ≠ {b} {rightField} {right}',
    'match.list-line-unpaired': 'list line {gnum} has no order line',
    'match.order-line-unlisted': 'order line {gnum} is not on the list',
    'match.total': 'Σ list total price {total} differs from the order goods value {goods} by more than {pct}%',
    'match.weight': 'list gross weight {list} kg vs waybill weight {waybill} kg is beyond the larger of {pct}% and {kg} kg',
    'match.paid-formula': 'order amount paid {left} ≠ goods value + freight + tax − discount {right}',
    'match.line-total': '{doc} line {gnum} total price {left} ≠ price × qty {right}',
    'match.bonded-field': '{field} is required for trade mode {tradeMode}',
    'match.bonded-line': '{field} of list line {gnum} is required for trade mode {tradeMode}',
    'match.incomplete': 'documents missing: {docs}',
    'customs.no-receipt': 'no customs receipt for the list yet',
    'customs.status': 'customs {status} ({statusText})',
    'customs.status.info': 'customs {status} ({statusText}): {info}',
    'customs.awaiting': 'awaiting customs: {status} ({statusText})',
    'customs.awaiting.info': 'awaiting customs: {status} ({statusText}): {info}',
    'customs.cleared': 'customs {status} ({statusText}); documents complete and consistent; risk low (rules {rulesVersion})',
    'customs.document-rejected': '{doc} rejected by customs ({messageType} {status})',
    'customs.document-rejected.info': '{doc} rejected by customs ({messageType} {status}): {info}',
    'customs.unexpected': '{messageType} status {status} is not a status this message carries: kept, not acted on',
    'customs.cancel-requested': 'cancellation of the list requested (623/605): not releasable while customs decides',
    'customs.cancelled': 'customs accepted the cancellation of the list (624/606 399): never releasable',
    'customs.returned': 'returned to origin (700): the case is closed',
    'customs.awaiting-release': "examination concluded (399), awaiting customs' release (800)",
    'customs.899-without-800': 'clearance closed (899) with no release (800) on record: not a release',
    'risk.weight.out-of-tolerance': 'measured {measured} kg vs declared {declared} kg is beyond the larger of {pct}% and {kg} kg',
    'risk.xray.suspect': 'X-ray image marked suspect',
    'risk.xray.reject': 'X-ray rejected the parcel',
    'risk.xray.unreadable': 'X-ray image unreadable',
    'risk.value.transaction-limit': 'transaction value {value} exceeds the {limit} single-transaction limit (customs -621005)',
    'risk.value.full-tax': 'single indivisible item of {value} over the {limit} single-transaction limit, within the {annual} annual limit: allowed, full tax applies',
    'risk.value.annual-unknown': "the buyer's year-to-date total is not known: the annual limit cannot be checked",
    'risk.value.annual-limit': "buyer's year-to-date {ytd} + this {value} exceeds the {limit} annual limit (customs -621018)",
    'risk.hs.restricted': 'line {gnum} ({gname}): HS {gcode} is restricted',
    'risk.hs.not-on-positive-list': 'line {gnum} ({gname}): HS {gcode} is not on the retail import positive list',
    'risk.credit.dishonest': '{role} {code} {name} is on the dishonest list',
    'risk.watch.sender': 'sender {hit} is on the watch list',
    'risk.watch.consignee': 'consignee {name} ({telephone}) is on the watch list',
    'risk.watch.buyer': 'buyer ID {id} is on the watch list',
    'risk.match.inconsistent': 'documents disagree: {rules}',
    'risk.match.incomplete': 'documents missing: {docs}',
    'risk.sample.random': 'random sample ({rate})',
    'risk.signature.invalid': "the {doc} message's signature is invalid ({reason})",
    'refuse.no-case': 'no customs case for this parcel (its documents have not arrived)',
    'refuse.order-conflict': 'orders {orders} each claim this parcel: resolve the order first',
    'refuse.no-order-conflict': 'no order conflict stands on this case',
    'refuse.not-a-claimant': '{orderNo} is not one of the orders claiming this parcel ({orders})',
    'refuse.version': 'the case changed since you read it (version {had} → {now}): reload',
    'refuse.closed': 'the case is closed ({status})',
    'refuse.already-released': 'already released',
    'refuse.already-held': 'already held',
    'refuse.inspection-ordered': 'an inspection is ordered: record its result (pass) to release',
    'refuse.inspection-already': 'an inspection is already ordered',
    'refuse.documents-incomplete': 'documents are incomplete: a parcel without a complete set cannot be released',
    'refuse.documents-disagree': 'documents disagree: a parcel without a consistent set cannot be released',
    'refuse.customs-stops': "customs stops this parcel ({status}): an officer's release cannot override it",
    'refuse.cancellation': "the list's cancellation is requested or accepted (623/624): never releasable",
    'refuse.unexpected-status': 'customs sent a status its message does not carry ({statuses}): resolve it with customs first',
    'refuse.receipt-authority': 'only customs releases: the list has no release (800) from customs; under customs.releaseAuthority "receipt" an officer may hold, order inspection, record findings and annotate',
    'refuse.receipt-authority.concluded': 'only customs releases: the list has no release (800) from customs — 399 (concluded) is not a release; under customs.releaseAuthority "receipt" an officer may hold, order inspection, record findings and annotate',
    'feed.pending': 'pending officer review',
    'feed.awaiting-release': "awaiting customs' release (800)",
    'feed.awaiting-release.passed': "inspected, passed: awaiting customs' release (800)",
    'feed.by-officer': '{status} by officer {officer}',
    'bench.pass.no-findings': 'inspected at the bench: no findings',
    'line.no-read': 'no read: no barcode decoded',
    'line.read-refused': 'read refused: {reason}',
    'line.multi-read': 'multiple labels read: {codes}',
    'line.no-rules': 'no valid signed rules from the hub: failing safe',
    'line.stale-cache': 'local copy of hub decisions is older than the staleness bound: failing safe',
    'line.unknown-parcel': 'parcel {code} is not known to the hub',
    'line.customs-hold': 'customs hold',
    'line.inspection-ordered': 'inspection ordered',
    'line.xray-fault': 'X-ray fault: {fault}',
    'line.xray-unreadable': 'X-ray image unreadable',
    'line.xray-timeout': 'no X-ray verdict in time',
    'line.xray-verdict': 'X-ray {verdict}',
    'line.weight-unsettled': 'weight never settled',
    'line.no-weight': 'no stable weight',
    'line.weight-out': 'weight {measured} kg vs declared {declared} kg is out of tolerance',
    'line.sample': 'random sample ({rate}%)',
    'line.sample.hub': 'random sample (drawn by the hub)',
    'line.station-refused': "the station's event failed its check, the parcel was not decided by the rules: {error}",
    'alarm.seal_opened_outside_fence': 'seal {seal} opened outside the fence',
    'alarm.seal_tampered_outside_fence': 'seal {seal} tampered with outside the fence',
    'alarm.fence_breached': 'fence {fence} breached',
    'alarm.fence_breached.seal': 'seal {seal} outside fence {fence}',
    'alarm.fence_breached.low': 'fence {fence} possibly breached (low-confidence position)',
    'alarm.fence_breached.seal.low': 'seal {seal} possibly outside fence {fence} (low-confidence position)',
    'alarm.disk_soft_limit': 'gateway disk use is over the soft limit',
    'alarm.disk_hard_limit': 'gateway disk use is at the hard limit: telemetry is being shed',
    'alarm.clock_unsynced': 'gateway clock not synchronised: event times are less trustworthy',
    'alarm.journal_key_changed': "the gateway's journal key changed",
    'alarm.station_event_refused': 'an event of station {station} failed its check: kept as a station exception, the parcel was not decided by the rules',
    'alarm.device_down': 'device {device} is down',
    'alarm.journal_alert': "the gateway's journal evidence is in question: {alert}",
    'alarm.bench_refused': 'station {station}, not a configured bench, sent a finding: refused',
    'alarm.customs_unexpected_status': 'a customs receipt carries a status its message does not: kept, not acted on',
    'alarm.customs_unexpected_status.receipt': 'parcel {parcel} (order {orderNo}): {messageType} returned status {status}, which that message does not carry: kept, not acted on',
    'alarm.release_unconfirmed': 'released by an officer, with no release (800) from customs in time',
    'alarm.release_unconfirmed.parcel': 'parcel {parcel} (order {orderNo}) released by officer {officer}; no release (800) from customs after {minutes} min',
    'alarm.eport_signer_away': 'the e-port signer cannot be reached',
    'alarm.eport_signer_slow': 'the e-port signer does not answer in time',
    'alarm.eport_signer_refused': 'the e-port signer refuses to sign',
    'alarm.eport_signer_failed': 'the e-port signer answers something unusable',
    'alarm.eport_signer_cert_expiring': 'the e-port signing certificate expires soon',
    'alarm.eport_signer_cert_expired': 'the e-port signing certificate has expired',
    'alarm.eport_not_sent': 'an e-port message could not be signed, checked or written: it stays queued',
    'alarm.eport_no_receipt': 'an e-port message was sent with no business receipt in time',
    'alarm.bonded_book_difference': 'the account book balance and the bonded stock counted differ',
    'alarm.bonded_book_difference.item': 'item {item}: counted {counted}, the book expects {expected} ({day})',
    'alarm.bonded_receipt_refused': 'the account book could not apply a customs receipt',
    'alarm.bonded_sku_unmapped': 'a tallied SKU is not mapped to a book item: the first-line list waits',
    'alarm.bonded_list_invalid': 'a first-line list made from a tally breaks an INV101 field rule: held, not sent',
    'alarm.bonded_tally_after_list': 'goods received on an inbound list after its first-line list was declared',
    'alarm.bonded_slip_no_vehicle': 'a first-line list was approved but no inbound vehicle was seen at the gate before its tally: prepare its slip by hand',
    absent: '(absent)',
  },
};

/** Words for parameter values that are names of things: documents, fields, enterprise roles, severities, rules. */
const DOCS: Record<ReasonLang, Table> = {
  'zh-CN': { order: '订单', payment: '支付单', waybill: '运单', inventory: '申报清单', receipt: '回执' },
  en: { order: 'order', payment: 'payment', waybill: 'waybill', inventory: 'list', receipt: 'receipt' },
};
const FIELDS: Record<ReasonLang, Table> = {
  'zh-CN': {
    orderNo: '订单编号', ebpCode: '电商平台代码', ebcCode: '电商企业代码', payCode: '支付企业代码', payTransactionId: '支付交易编号',
    logisticsCode: '物流企业代码', logisticsNo: '运单编号', acturalPaid: '实付金额', amountPaid: '支付金额',
    consignee: '收货人', consigneeTelephone: '收货人电话', consigneeAddress: '收货地址', buyerName: '订购人姓名',
    buyerIdType: '订购人证件类型', buyerIdNumber: '订购人证件号码', buyerTelephone: '订购人电话', payerName: '支付人姓名',
    payerIdNumber: '支付人证件号码', gname: '商品名称', itemName: '商品名称', totalPrice: '总价', grossWeight: '毛重', weight: '重量',
    goodsValue: '货值', emsNo: '账册编号', areaCode: '区内企业代码', itemRecordNo: '备案序号', 'lines.totalPrice': '各项总价',
  },
  en: {
    orderNo: 'order no.', ebpCode: 'platform code', ebcCode: 'e-commerce enterprise code', payCode: 'payment enterprise code', payTransactionId: 'payment transaction no.',
    logisticsCode: 'carrier code', logisticsNo: 'waybill no.', acturalPaid: 'amount paid', amountPaid: 'amount paid',
    consignee: 'consignee', consigneeTelephone: 'consignee telephone', consigneeAddress: 'consignee address', buyerName: 'buyer name',
    buyerIdType: 'buyer ID type', buyerIdNumber: 'buyer ID number', buyerTelephone: 'buyer telephone', payerName: 'payer name',
    payerIdNumber: 'payer ID number', gname: 'goods name', itemName: 'item name', totalPrice: 'total price', grossWeight: 'gross weight', weight: 'weight',
    goodsValue: 'goods value', emsNo: 'account book no.', areaCode: 'area code', itemRecordNo: 'item record no.', 'lines.totalPrice': 'line totals',
  },
};
const ROLES: Record<ReasonLang, Table> = {
  'zh-CN': { ebc: '电商企业', ebp: '电商平台', logistics: '物流企业', agent: '申报企业', payment: '支付企业' },
  en: { ebc: 'e-commerce enterprise', ebp: 'platform', logistics: 'carrier', agent: 'declaring agent', payment: 'payment enterprise' },
};
const SEVERITY: Record<ReasonLang, Table> = {
  'zh-CN': { low: '低风险', medium: '中风险', high: '高风险' },
  en: { low: 'low', medium: 'medium', high: 'high' },
};
/** Receipt status words (customs.md §2); 501–599 without their own entry are "other detention". */
const STATUS: Record<ReasonLang, Table> = {
  'zh-CN': {
    '-1': '格式或业务错误', 1: '电子口岸已暂存', 2: '申报中', 3: '已发送海关', 4: '发送失败', 100: '海关退单', 120: '海关入库', 300: '人工审核',
    399: '已审结', 500: '查验', 501: '扣留移送通关', 502: '扣留移送缉私', 503: '扣留移送法规', 599: '其他扣留', 700: '退运', 800: '放行', 899: '结关',
    unknown: '未知状态', pending: '待审核', held: '暂停放行', inspection: '查验中', released: '已放行', seized: '已查扣', returned: '已退运', destroyed: '已销毁',
    cancelled: '清单已撤销', awaiting_release: '待海关放行', hold: '暂停放行',
  },
  en: {
    '-1': 'format or business error', 1: 'saved as a draft at the e-port', 2: 'being declared', 3: 'sent to customs', 4: 'sending to customs failed',
    100: 'rejected by customs', 120: 'accepted by customs', 300: 'manual review', 399: 'examination concluded', 500: 'inspection ordered',
    501: 'detained: to clearance', 502: 'detained: anti-smuggling', 503: 'detained: legal', 599: 'detained: other', 700: 'returned to origin',
    800: 'released', 899: 'clearance closed', unknown: 'unknown status', pending: 'pending', held: 'held', inspection: 'under inspection', released: 'released',
    seized: 'seized', returned: 'returned', destroyed: 'destroyed', cancelled: 'list cancelled', awaiting_release: "awaiting customs' release", hold: 'hold',
  },
};
/** Matching rules (hub/customs/matching.ts MATCH_RULES) in a few words, for `{rules}`. */
const MATCH_RULE_WORDS: Record<ReasonLang, Table> = {
  'zh-CN': {
    'order-payment.key': '订单与支付单关联信息不符', 'order-waybill.key': '订单与运单订单号不符', 'inventory-order.key': '清单与订单关联信息不符',
    'inventory-order.lines': '清单与订单商品项不对应', 'inventory-waybill.key': '清单与运单物流信息不符', 'order-payment.amount': '支付金额与订单实付金额不符',
    'order.paid-formula': '订单实付金额计算不符', 'order-waybill.consignee': '订单与运单收货人信息不一致', 'inventory-order.gname': '清单商品名称与订单不一致',
    'order.line-total': '订单商品总价≠单价×数量', 'inventory.line-total': '清单商品总价≠单价×数量', 'payment.payer-is-buyer': '支付人与订购人不一致',
    'inventory-order.buyer': '清单订购人信息与订单不一致', 'inventory-order.total': '清单总价与订单货值不符', 'inventory-waybill.weight': '清单毛重与运单重量不符',
    'inventory.bonded-fields': '保税清单缺少账册号、区域代码或备案序号',
  },
  en: {
    'order-payment.key': 'order and payment do not link up', 'order-waybill.key': 'order and waybill order numbers differ', 'inventory-order.key': 'list and order do not link up',
    'inventory-order.lines': 'list and order lines do not pair up', 'inventory-waybill.key': 'list and waybill carrier details differ', 'order-payment.amount': 'amount paid differs from the order',
    'order.paid-formula': 'order paid amount does not add up', 'order-waybill.consignee': 'order and waybill consignees differ', 'inventory-order.gname': 'list goods names differ from the order',
    'order.line-total': 'order line total ≠ price × qty', 'inventory.line-total': 'list line total ≠ price × qty', 'payment.payer-is-buyer': 'payer is not the buyer',
    'inventory-order.buyer': 'list buyer differs from the order', 'inventory-order.total': 'list total differs from the goods value', 'inventory-waybill.weight': 'list gross weight differs from the waybill',
    'inventory.bonded-fields': 'bonded list lacks account book, area code or record nos.',
  },
};

/** Journal alert kinds (hub/storage JournalAlertKind), for `{alert}`. */
const JOURNAL_ALERTS: Record<ReasonLang, Table> = {
  'zh-CN': { chain_break: '哈希链断裂', hash_mismatch: '哈希值不符', invalid_entry: '无效日志条目', journal_gap: '日志序号缺失', checkpoint_mismatch: '检查点不符', checkpoint_bad_signature: '检查点签名无效', key_changed: '签名密钥变更' },
  en: { chain_break: 'the hash chain is broken', hash_mismatch: 'a hash does not match', invalid_entry: 'an invalid entry', journal_gap: 'a gap in the journal', checkpoint_mismatch: 'a checkpoint does not match', checkpoint_bad_signature: "a checkpoint's signature is invalid", key_changed: 'the key changed' },
};

const LIST_SEP: Record<ReasonLang, string> = { 'zh-CN': '、', en: ', ' };
const LINE_FIELD = /^lines\[gnum=(\d+)\]\.(.+)$/;

/** A field path in words: `consigneeTelephone` → 收货人电话, `lines[gnum=2].gname` → 第 2 项商品名称; unknown: undefined. */
export function fieldWords(lang: ReasonLang, path: string): string | undefined {
  const line = LINE_FIELD.exec(path);
  if (line) {
    const f = FIELDS[lang][line[2]!];
    if (!f) return undefined;
    return lang === 'en' ? `line ${line[1]} ${f}` : `第 ${line[1]} 项${f}`;
  }
  return FIELDS[lang][path];
}

export function statusWords(lang: ReasonLang, status: number | string): string {
  const n = Number(status);
  const table = STATUS[lang];
  if (typeof status === 'string' && table[status]) return table[status];
  if (Number.isFinite(n)) {
    if (n < 0) return table['-1']!;
    if (table[String(n)]) return table[String(n)]!;
    if (n > 500 && n < 600) return table['599']!;
  }
  return table.unknown!;
}

/** Has this reason words here? (A stored reason without a code, or with one from a newer hub, has not.) */
export function knownReason(code: string | undefined): boolean {
  return code !== undefined && Object.hasOwn(TEXTS.en, code);
}

/** The template a reason uses: a `.values` / `.info` / `.concluded` variant when its parameters call for it. */
function templateOf(lang: ReasonLang, r: CodedReason): string | undefined {
  const p = r.params ?? {};
  const table = TEXTS[lang];
  if (r.code === 'match.differs' && 'left' in p && 'right' in p) return table['match.differs.values'];
  if (typeof p.info === 'string' && p.info !== '' && table[`${r.code}.info`]) return table[`${r.code}.info`];
  if (p.concluded === true && table[`${r.code}.concluded`]) return table[`${r.code}.concluded`];
  return table[r.code];
}

function valueText(lang: ReasonLang, v: ReasonParam | undefined): string {
  if (v === undefined || v === null) return TEXTS[lang].absent!;
  if (Array.isArray(v)) return v.join(LIST_SEP[lang]);
  return typeof v === 'string' ? `"${v}"` : String(v);
}

/** Where two compared strings differ: the common head and tail stay plain, the middle of each is marked. */
export function diffPieces(a: string, b: string): { left: ReasonPiece[]; right: ReasonPiece[] } {
  const ac = [...a];
  const bc = [...b];
  let head = 0;
  while (head < ac.length && head < bc.length && ac[head] === bc[head]) head++;
  let tail = 0;
  while (tail < ac.length - head && tail < bc.length - head && ac[ac.length - 1 - tail] === bc[bc.length - 1 - tail]) tail++;
  const side = (c: string[]): ReasonPiece[] =>
    [
      { text: c.slice(0, head).join(''), kind: 'value' as const },
      { text: c.slice(head, c.length - tail).join(''), kind: 'diff' as const },
      { text: c.slice(c.length - tail).join(''), kind: 'value' as const },
    ].filter((p) => p.text !== '');
  return { left: side(ac), right: side(bc) };
}

/** One parameter as pieces: names of things in words, values as data, compared strings with their difference marked. */
function paramPieces(lang: ReasonLang, name: string, r: CodedReason): ReasonPiece[] {
  const p = r.params ?? {};
  const v = p[name];
  const words = (text: string | undefined): ReasonPiece[] | undefined => (text === undefined ? undefined : [{ text, kind: 'text' }]);
  const asValue = (): ReasonPiece[] => [{ text: valueText(lang, v), kind: 'value' }];
  switch (name) {
    case 'a':
    case 'b':
    case 'doc':
      return words(typeof v === 'string' ? DOCS[lang][v] : undefined) ?? asValue();
    case 'docs':
      return Array.isArray(v) ? [{ text: v.map((d: string) => DOCS[lang][d] ?? d).join(LIST_SEP[lang]), kind: 'text' }] : asValue();
    case 'field':
    case 'rightField':
      return typeof v === 'string' ? (words(fieldWords(lang, v)) ?? [{ text: v, kind: 'value' }]) : asValue();
    case 'role':
      return words(typeof v === 'string' ? ROLES[lang][v] : undefined) ?? asValue();
    case 'alert':
      return words(typeof v === 'string' ? JOURNAL_ALERTS[lang][v] : undefined) ?? asValue();
    case 'rules':
      return Array.isArray(v) ? [{ text: v.map((x: string) => MATCH_RULE_WORDS[lang][x] ?? x).join(LIST_SEP[lang]), kind: 'text' }] : asValue();
    case 'statusText':
      return [{ text: statusWords(lang, p.status as number), kind: 'text' }];
    case 'status':
      // A case status in words; a receipt status (a number) as the code customs uses.
      return typeof v === 'string' && STATUS[lang][v] ? [{ text: STATUS[lang][v]!, kind: 'text' }] : [{ text: String(v ?? ''), kind: 'value' }];
    case 'left':
    case 'right': {
      const l = p.left;
      const rt = p.right;
      if (typeof l === 'string' && typeof rt === 'string' && l !== rt) {
        const d = diffPieces(l, rt);
        return [{ text: '"', kind: 'value' }, ...(name === 'left' ? d.left : d.right), { text: '"', kind: 'value' }];
      }
      return asValue();
    }
    default:
      if (v === undefined || v === '') return [];
      return [{ text: Array.isArray(v) ? v.join(LIST_SEP[lang]) : String(v), kind: 'value' }];
  }
}

/** A coded reason in this language as pieces; undefined when the code has no words here (show the stored message). */
export function reasonPieces(lang: ReasonLang, r: CodedReason): ReasonPiece[] | undefined {
  const template = templateOf(lang, r);
  if (template === undefined) return undefined;
  const out: ReasonPiece[] = [];
  const severity = r.params?.severity;
  if (typeof severity === 'string' && SEVERITY[lang][severity]) out.push({ text: `${SEVERITY[lang][severity]}${lang === 'en' ? ': ' : '：'}`, kind: 'text' });
  let at = 0;
  for (const m of template.matchAll(/\{(\w+)\}/g)) {
    if (m.index > at) out.push({ text: template.slice(at, m.index), kind: 'text' });
    out.push(...paramPieces(lang, m[1]!, r));
    at = m.index + m[0].length;
  }
  if (at < template.length) out.push({ text: template.slice(at), kind: 'text' });
  return out;
}

/** A line reason: its own code, and the hub's reasons behind a hold or an inspection order (`because`), if any. */
export interface LineReasonCode extends CodedReason {
  because?: readonly CodedReason[] | undefined;
}

/**
 * A line reason as pieces: its words, then the hub's reasons behind it in the same language ("海关暂不放行：…").
 * Undefined when its own code has no words here; a cause whose code has none is left out (the hub shows it whole).
 */
export function lineReasonPieces(lang: ReasonLang, r: LineReasonCode): ReasonPiece[] | undefined {
  const head = reasonPieces(lang, r);
  if (!head) return undefined;
  const causes = (r.because ?? []).map((c) => reasonPieces(lang, c)).filter((c): c is ReasonPiece[] => c !== undefined);
  if (causes.length === 0) return head;
  const out = [...head, { text: lang === 'en' ? ': ' : '：', kind: 'text' as const }];
  causes.forEach((c, i) => out.push(...(i > 0 ? [{ text: lang === 'en' ? '; ' : '；', kind: 'text' as const }] : []), ...c));
  return out;
}

export function renderLineReason(lang: ReasonLang, r: LineReasonCode): string | undefined {
  return lineReasonPieces(lang, r)
    ?.map((p) => p.text)
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A coded reason in this language as plain text; undefined when the code has no words here. */
export function renderReason(lang: ReasonLang, r: CodedReason): string | undefined {
  return reasonPieces(lang, r)
    ?.map((p) => p.text)
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Texts older versions stored where a code now goes (audit chain, bench findings): read as their code. */
const LEGACY_TEXTS: Readonly<Record<string, string>> = { 'inspected at the bench: no findings': 'bench.pass.no-findings' };

/**
 * A reason field that holds free text (what a person typed) or, where the system wrote it, a bare code: the code,
 * when it is one (or an old text that stands for one); undefined for a person's words, shown as they are.
 */
export function codeOfText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const code = LEGACY_TEXTS[text] ?? text;
  return knownReason(code) && !/\{\w+\}/.test(TEXTS.en[code]!) ? code : undefined;
}

/** For a test: every code has words in both languages. */
export const REASON_CODES: readonly string[] = Object.keys(TEXTS.en);
export const reasonTexts = (lang: ReasonLang): Readonly<Table> => TEXTS[lang];
