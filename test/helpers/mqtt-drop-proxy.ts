import { createServer, type Socket } from 'node:net';
import { linkPair } from './tcp-proxy.ts';

/**
 * A loopback TCP proxy between an MQTT client and its broker that reads the MQTT 3.1.1 framing and can lose one
 * PUBLISH on the wire while the connection stays up. It answers the lost QoS 1 PUBLISH with a PUBACK, as a broker
 * that accepted a message and then dropped it would (brokers drop queued messages past their limits): the
 * client's MQTT layer sees it delivered, so only the application's own acks can find the hole.
 */
export interface MqttDropProxy {
  port: number;
  /** Lose the next PUBLISH from the client whose topic matches; resolves with its payload once it is lost. */
  dropNextPublish(topic: RegExp): Promise<Buffer>;
  stats(): { accepted: number; live: number; dropped: number };
  close(): Promise<void>;
}

const PUBLISH = 3;

/** Splits a byte stream into whole MQTT packets (fixed header byte, remaining length varint, body). */
function framer(onPacket: (packet: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < buf.length && i <= 4; i++) {
        const b = buf[i]!;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (i >= buf.length || i > 4) return; // remaining length not complete yet
      const total = i + 1 + length;
      if (buf.length < total) return;
      onPacket(buf.subarray(0, total));
      buf = buf.subarray(total);
    }
  };
}

/** Topic, packet id and payload of a PUBLISH packet (MQTT 3.1.1 §3.3). */
function parsePublish(packet: Buffer): { topic: string; qos: number; packetId: number | undefined; payload: Buffer } {
  let i = 1;
  while (packet[i]! & 0x80) i++;
  i++;
  const qos = (packet[0]! >> 1) & 3;
  const topicLength = packet.readUInt16BE(i);
  const topic = packet.toString('utf8', i + 2, i + 2 + topicLength);
  i += 2 + topicLength;
  const packetId = qos > 0 ? packet.readUInt16BE(i) : undefined;
  if (qos > 0) i += 2;
  return { topic, qos, packetId, payload: packet.subarray(i) };
}

export function startMqttDropProxy(target: { host: string; port: number }): Promise<MqttDropProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  let dropped = 0;
  let armed: { topic: RegExp; resolve: (payload: Buffer) => void } | undefined;
  const server = createServer((client) => {
    accepted++;
    const upstream = linkPair(client, target, pairs);
    // Both directions are forwarded packet by packet, so a made-up PUBACK always lands between whole packets.
    client.on(
      'data',
      framer((packet) => {
        if (armed && packet[0]! >> 4 === PUBLISH) {
          const p = parsePublish(packet);
          if (armed.topic.test(p.topic)) {
            const { resolve } = armed;
            armed = undefined;
            dropped++;
            if (p.qos === 1 && p.packetId !== undefined) client.write(Buffer.from([0x40, 0x02, p.packetId >> 8, p.packetId & 0xff]));
            resolve(Buffer.from(p.payload));
            return;
          }
        }
        upstream.write(packet);
      }),
    );
    upstream.on('data', framer((packet) => client.write(packet)));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a ? a.port : 0,
        dropNextPublish: (topic) => new Promise<Buffer>((r) => (armed = { topic, resolve: r })),
        stats: () => ({ accepted, live: pairs.size, dropped }),
        close: () =>
          new Promise<void>((r) => {
            for (const [client, upstream] of pairs) {
              client.destroy();
              upstream.destroy();
            }
            pairs.clear();
            server.close(() => r());
          }),
      });
    });
  });
}
