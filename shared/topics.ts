/**
 * MQTT topic names. A gateway publishes only under `…/gw/<its id>/up/` and reads only `…/gw/<its id>/down/`;
 * the broker ACL enforces it (docker/mosquitto, hub/broker.ts), so the topic names the sender.
 */
export const TOPIC_ROOT = 'bondgate/v1/gw';
export const HUB_SHARE_GROUP = 'hub';

export const topics = {
  events: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/up/events`,
  hello: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/up/hello`,
  status: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/up/status`,
  checkpoint: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/up/checkpoint`,
  ack: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/down/ack`,
  /** Station feed: the edge asks for changes since N (up), the hub answers and pushes live changes (down). */
  feedRequest: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/up/feed`,
  feed: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/down/feed`,
  /** Full-size station images on demand: the hub asks (down), the edge answers with the bytes (up). */
  imageRequest: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/down/image-request`,
  image: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/up/image`,
  /** What a gateway subscribes to. */
  down: (gatewayId: string) => `${TOPIC_ROOT}/${gatewayId}/down/#`,
  /** What every hub process subscribes to: one shared group, so hubs split the load. */
  hubUp: (shared: boolean) => `${shared ? `$share/${HUB_SHARE_GROUP}/` : ''}${TOPIC_ROOT}/+/up/#`,
} as const;

export type UpKind = 'events' | 'hello' | 'status' | 'checkpoint' | 'feed' | 'image';

/** `bondgate/v1/gw/GW-1/up/events` → { gatewayId: 'GW-1', kind: 'events' }; anything else → undefined. */
export function parseUpTopic(topic: string): { gatewayId: string; kind: UpKind } | undefined {
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const parts = topic.slice(prefix.length).split('/');
  if (parts.length !== 3 || parts[1] !== 'up') return undefined;
  const kind = parts[2];
  if (kind !== 'events' && kind !== 'hello' && kind !== 'status' && kind !== 'checkpoint' && kind !== 'feed' && kind !== 'image') return undefined;
  return { gatewayId: parts[0]!, kind };
}

/**
 * MQTT client ids. A new connection with a live client's id takes that client's place, so every broker Bondgate
 * configures binds ids to accounts: an id belongs to a user when it is the user name itself (an edge: its gateway
 * id) or starts with `<user name>:` (a hub process: `<hub user>:<hubId>:<random>`, unique per process). `:` is in no
 * gateway id, so no account owns another's ids (with `-`, gateway `GW-A` would own `GW-A-2`'s).
 */
export function clientIdBelongsTo(clientId: string, username: string): boolean {
  return clientId === username || clientId.startsWith(`${username}:`);
}

/** A client id owned by `username`; `parts` (e.g. the hub id and a random suffix) make it unique per connection. */
export function clientIdFor(username: string, ...parts: string[]): string {
  return [username, ...parts].join(':');
}
