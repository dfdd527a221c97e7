// The pty pair lives with the transports (the `bondgate sim` command uses it too).
export { socatAvailable, startPtyPair } from '../../drivers/transport/pty.ts';
