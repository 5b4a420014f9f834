// The README's `ws` path in TypeScript: needs `@types/ws` (the `ws` package has no types of
// its own).
import { WebSocket } from 'ws';
import { connect } from 'routeros-wasm';

export async function viaBridge(): Promise<string> {
  const ros = await connect({ url: 'ws://127.0.0.1:5900', WebSocket });
  const name = await ros.getIdentity();
  await ros.close();
  return name;
}
