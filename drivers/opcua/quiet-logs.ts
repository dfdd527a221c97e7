import { setErrorLogger, setWarningLogger } from 'node-opcua-debug';
import { createLogger } from '../../shared/log.ts';

/**
 * node-opcua writes its warnings straight to the console, with ANSI colours, from every process that loads it. Route
 * them into our structured log instead. Import this module before node-opcua: some warnings fire while it loads.
 *
 * NODE-OPCUA-W27 (Node ≥ 20.11 disabled RSA PKCS#1 v1.5 decryption, CVE-2023-46809) concerns only the deprecated
 * Basic128Rsa15/Basic256 policies, which OpcUaConfig does not offer: it is logged at debug.
 */
const log = createLogger('opcua', process.env.LOG_LEVEL ?? 'warn');
const text = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(' ');

setWarningLogger((_context: unknown, ...args: unknown[]) => {
  const msg = text(args);
  if (msg.includes('W27') || msg.includes('CVE-2023-46809')) log.debug({ nodeOpcua: msg }, 'node-opcua');
  // First start makes the PKI (seconds): worth knowing, not a warning.
  else if (/certificate .*please wait/i.test(msg)) log.info({ nodeOpcua: msg }, 'node-opcua');
  else log.warn({ nodeOpcua: msg }, 'node-opcua warning');
});
setErrorLogger((_context: unknown, ...args: unknown[]) => log.error({ nodeOpcua: text(args) }, 'node-opcua error'));
