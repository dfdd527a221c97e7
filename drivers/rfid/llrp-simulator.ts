import { createServer, type Server, type Socket } from 'node:net';
import { connectionSuccessBody, encodeMessage, llrpCodec, MessageType, parseAddRospec, roAccessReportBody, statusBody, type TagReport } from './llrp-codec.ts';

/**
 * An LLRP reader on TCP for tests and demos: announces the connection, answers the ROSpec session, then reports the
 * tags currently in its field every `reportMs` and sends keepalives. It can misbehave on demand (`sendGarbage`).
 */
export class LlrpReaderSimulator {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private tags: TagReport[] = [];
  private msgId = 1;
  readonly keepaliveAcks: number[] = [];
  readonly received: number[] = [];
  antennas: number[] = [];

  constructor(private readonly reportMs = 50, private readonly keepaliveMs = 200) {}

  setTags(tags: TagReport[]): void {
    this.tags = tags;
  }

  start(port = 0): Promise<number> {
    this.server = createServer((socket) => this.serve(socket));
    return new Promise((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve((this.server!.address() as { port: number }).port)));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    const codec = llrpCodec();
    let reporting: NodeJS.Timeout | undefined;
    const keepalive = setInterval(() => socket.write(encodeMessage(MessageType.KEEPALIVE, this.msgId++)), this.keepaliveMs);
    const stop = () => {
      clearInterval(keepalive);
      clearInterval(reporting);
      this.sockets.delete(socket);
    };
    socket.on('close', stop);
    socket.on('error', stop);
    socket.write(encodeMessage(MessageType.READER_EVENT_NOTIFICATION, this.msgId++, connectionSuccessBody(BigInt(Date.now()) * 1000n)));
    socket.on('data', (bytes) => {
      for (const f of codec.push(bytes)) {
        if (f.kind !== 'message') continue;
        this.received.push(f.type);
        const reply = (type: number) => socket.write(encodeMessage(type, f.id, statusBody(0)));
        switch (f.type) {
          case MessageType.DELETE_ROSPEC:
            reply(MessageType.DELETE_ROSPEC_RESPONSE);
            break;
          case MessageType.ADD_ROSPEC:
            this.antennas = parseAddRospec(f.body)?.antennas ?? [];
            reply(MessageType.ADD_ROSPEC_RESPONSE);
            break;
          case MessageType.ENABLE_ROSPEC:
            reply(MessageType.ENABLE_ROSPEC_RESPONSE);
            break;
          case MessageType.START_ROSPEC:
            reply(MessageType.START_ROSPEC_RESPONSE);
            clearInterval(reporting);
            reporting = setInterval(() => {
              if (this.tags.length > 0) socket.write(encodeMessage(MessageType.RO_ACCESS_REPORT, this.msgId++, roAccessReportBody(this.tags)));
            }, this.reportMs);
            break;
          case MessageType.KEEPALIVE_ACK:
            this.keepaliveAcks.push(f.id);
            break;
          case MessageType.CLOSE_CONNECTION:
            socket.end(encodeMessage(MessageType.CLOSE_CONNECTION_RESPONSE, f.id, statusBody(0)));
            break;
          default:
            break;
        }
      }
    });
  }

  sendGarbage(): void {
    for (const s of this.sockets) s.write(Buffer.from('\x00\x00garbage that is not LLRP at all'));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
