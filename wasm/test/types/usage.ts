// Compiled with `tsc --noEmit` by types.test.mjs: the published types describe the API as the
// README uses it, and wasm-bindgen's generated declarations check too.
import { connect, RouterOsError } from 'routeros-wasm';
import type { CommandResult, ErrorType, Interface, Row, RowStream } from 'routeros-wasm';

export async function demo(): Promise<void> {
  const ros = await connect({ url: 'ws://127.0.0.1:5900', username: 'admin', password: '', timeoutMs: 5000 });
  const rows: CommandResult = await ros.command(['/interface/print', '?type=ether']);
  const first: Row | undefined = rows[0];
  const name: string | undefined = first?.name;
  const ret: string | undefined = (await ros.command(['/ip/address/add', '=address=10.0.0.1/24', '=interface=ether1'])).ret;
  const stream: RowStream = ros.stream(['/interface/monitor-traffic', '=interface=ether1']);
  for await (const s of stream) {
    const bits: string | undefined = s['rx-bits-per-second'];
    void bits;
    break;
  }
  await stream.cancel();
  const ifaces: Interface[] = await ros.listInterfaces();
  const running: boolean = ifaces[0].running;
  const id: string = await ros.addIpAddress({ address: '10.0.0.2/24', interface: 'ether1' });
  await ros.removeIpAddress(await ros.addIpAddress({ address: '10.0.0.3/24', interface: 'ether1' }));
  const controller = new AbortController();
  const quick: CommandResult = await ros.command(['/interface/print'], { signal: controller.signal, timeoutMs: 2000 });
  for await (const row of ros.stream(['/ping', '=address=10.0.0.1'], { signal: AbortSignal.timeout(1000) })) void row;
  const tuned = await connect({ host: '10.0.0.1', user: 'bob', slots: 4, maxStreams: 2, keepaliveMs: 5000, tls: { fingerprint: 'AB'.repeat(32) } });
  void quick, tuned;
  const load: number | undefined = (await ros.getSystemResource()).cpuLoad;
  try {
    await ros.command(['/nonsense']);
  } catch (e) {
    if (e instanceof RouterOsError) {
      const t: ErrorType = e.type;
      const category: number | null | undefined = e.category;
      const aborted: boolean = e.name === 'AbortError' && e.type === 'aborted';
      void t, category, aborted;
    }
  }
  const reason: RouterOsError | null = await ros.closed;
  await ros.close();
  void name, ret, running, id, load, reason;
}
