import { randomUUID } from 'node:crypto';
import { BondgateError } from '../../shared/errors.ts';
import { ImageResponse, type ImageRequest } from '../../shared/image-protocol.ts';

/**
 * Full-size station images, fetched from the gateway that holds them when an officer opens one: a request down the
 * gateway's MQTT topic, the answer up its own topic (so a gateway can only answer for itself), matched by id.
 */
export class ImageFetchService {
  private readonly pending = new Map<string, { gatewayId: string; resolve: (r: ImageResponse['result']) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly publish: (gatewayId: string, req: ImageRequest) => void, private readonly timeoutMs = 10_000) {}

  fetch(gatewayId: string, ref: string): Promise<ImageResponse['result']> {
    const requestId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new BondgateError('GATEWAY_UNREACHABLE', `gateway ${gatewayId} did not answer within ${this.timeoutMs / 1000} s (offline?)`));
      }, this.timeoutMs);
      this.pending.set(requestId, { gatewayId, resolve, timer });
      this.publish(gatewayId, { requestId, ref });
    });
  }

  /** An answer from a gateway (topic-authenticated): ignored unless it is the one asked. */
  onResponse(gatewayId: string, body: unknown): void {
    const r = ImageResponse.safeParse(body);
    if (!r.success) return;
    const p = this.pending.get(r.data.requestId);
    if (!p || p.gatewayId !== gatewayId || r.data.gatewayId !== gatewayId) return;
    clearTimeout(p.timer);
    this.pending.delete(r.data.requestId);
    p.resolve(r.data.result);
  }
}
