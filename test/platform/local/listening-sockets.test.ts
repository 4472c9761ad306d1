// Reading /proc/net/tcp and tcp6 (test/support/listening-sockets.ts), on lines in the kernel's format.
import { parseTcpTable } from '../../support/listening-sockets';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const line = (local: string, state: string, inode: number) =>
  `   0: ${local} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;

describe('/proc/net/tcp tables', () => {
  it('reads IPv4 LISTEN sockets: loopback and every interface', () => {
    const text = [
      HEADER,
      line('0100007F:1F90', '0A', 11),
      line('00000000:6E00', '0A', 12),
      line('0100007F:C350', '01', 13),
    ].join('\n');
    expect(parseTcpTable(text, 4)).toEqual([
      { address: '127.0.0.1', port: 8080, inode: 11 },
      { address: '0.0.0.0', port: 28160, inode: 12 },
    ]);
  });

  it('reads IPv6 LISTEN sockets: ::, ::1 and IPv4-mapped loopback', () => {
    const text = [
      HEADER,
      line('00000000000000000000000000000000:6E00', '0A', 21),
      line('00000000000000000000000001000000:1F90', '0A', 22),
      line('0000000000000000FFFF00000100007F:71E4', '0A', 23),
      line('0000000000000000FFFF00000A00000A:0050', '0A', 24),
    ].join('\n');
    expect(parseTcpTable(text, 6)).toEqual([
      { address: '::', port: 28160, inode: 21 },
      { address: '::1', port: 8080, inode: 22 },
      { address: '127.0.0.1', port: 29156, inode: 23 },
      { address: '10.0.0.10', port: 80, inode: 24 },
    ]);
  });
});
