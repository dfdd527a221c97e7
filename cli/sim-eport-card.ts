import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CardSimulator } from '../hub/eport/card-simulator.ts';
import { loadPin } from '../hub/eport/pin.ts';

export const EPORT_CARD_USAGE = `usage: bondgate sim eport-card [--host 127.0.0.1] [--port 61232] [--pin-env VAR | --pin-file FILE]
                               [--refuse-pin] [--slow MS] [--away-every SECONDS --away-for SECONDS]
                               [--valid-days N] [--ca-out FILE] [--cert-out FILE]
  an e-port card client on its local WebSocket (the {_method, _id, args} protocol) with a card it makes itself:
  a test SM2 key and certificate under a throw-away CA (write the CA with --ca-out and list it in the hub's
  signatures.trustAnchors to have the hub's own messages verify as "verified").
  --pin-env/--pin-file  the card's PIN (default: any non-empty PIN is taken)
  --refuse-pin          answer every signature with Result: false, as for a wrong PIN
  --slow MS             wait MS before every answer
  --away-every/--away-for  stop listening (connection refused) for --away-for seconds every --away-every seconds
  --valid-days N        the certificate expires N days from now (default 365; try 10 for the expiry warning)`;

/** `bondgate sim eport-card`: the simulated card client as its own process (hub/eport/card-simulator.ts). */
export async function runEportCardSim(argv: string[]): Promise<{ stop(): Promise<void> }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '61232' },
      'pin-env': { type: 'string' },
      'pin-file': { type: 'string' },
      'refuse-pin': { type: 'boolean', default: false },
      slow: { type: 'string', default: '0' },
      'away-every': { type: 'string' },
      'away-for': { type: 'string', default: '10' },
      'valid-days': { type: 'string', default: '365' },
      'ca-out': { type: 'string' },
      'cert-out': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(EPORT_CARD_USAGE);
    return { stop: async () => undefined };
  }
  const num = (v: string, name: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0\n${EPORT_CARD_USAGE}`);
    return n;
  };
  const pin = values['pin-file'] ? loadPin({ pinFile: values['pin-file'] }) : values['pin-env'] ? loadPin({ pinEnv: values['pin-env'] }) : undefined;
  const sim = new CardSimulator({
    host: values.host,
    port: num(values.port, 'port'),
    ...(pin ? { pin } : {}),
    validDays: num(values['valid-days'], 'valid-days'),
    behaviour: { refusePin: values['refuse-pin'], delayMs: num(values.slow, 'slow') },
  });
  if (values['ca-out']) writeFileSync(values['ca-out'], sim.pki.caPem);
  if (values['cert-out']) writeFileSync(values['cert-out'], sim.pki.signer.certificatePem);
  const url = await sim.start();
  const c = sim.certificate;
  console.log(`e-port card client on ${url}: card certificate ${c.serialNumber} (${c.subject.replace(/\n/g, ', ')}), valid until ${new Date(c.validToMs).toISOString()}`);
  console.log(`  PIN: ${pin ? 'as configured' : 'any'}${values['refuse-pin'] ? '; refusing every PIN' : ''}${Number(values.slow) > 0 ? `; answering after ${values.slow} ms` : ''}`);
  let awayTimer: NodeJS.Timeout | undefined;
  if (values['away-every']) {
    const every = num(values['away-every'], 'away-every') * 1000;
    const awayFor = num(values['away-for'], 'away-for') * 1000;
    const cycle = () => {
      awayTimer = setTimeout(() => {
        void sim.goAway().then(() => {
          console.log(`card client away for ${awayFor / 1000} s`);
          awayTimer = setTimeout(() => void sim.start().then(() => (console.log('card client back'), cycle())), awayFor);
        });
      }, every);
    };
    cycle();
  }
  return {
    stop: async () => {
      clearTimeout(awayTimer);
      await sim.stop();
    },
  };
}
