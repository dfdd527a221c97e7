import { v7 as uuidv7 } from 'uuid';

/** Event ids are UUIDv7: globally unique and roughly time-ordered, so B-tree inserts stay local. */
export function newEventId(): string {
  return uuidv7();
}

export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
