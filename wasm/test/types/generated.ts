// wasm-bindgen's own declarations (the low-level Connection and Stream classes) compile.
import type { Connection, Stream, BytePipe } from '../../pkg/routeros_wasm.js';

export async function low(c: Connection, pipe: BytePipe): Promise<void> {
  const rows: unknown = await c.command(['/interface/print'], undefined);
  const s: Stream = c.stream(['/ping', '=address=127.0.0.1'], 2000);
  c.abort(1);
  const row: unknown = await s.next();
  await s.cancel();
  pipe.onOpen = null;
  void rows, row;
}
