import type { Host } from '../../src/contract/host.js';
import { RoutingTransport } from '../../src/transport/routing.js';
import { FakeTransport } from '../support/fake-transport.js';

const local = (name: string): Host => ({ name, address: 'localhost', port: 0, local: true });
const remote = (name: string): Host => ({ name, address: `${name}.test`, port: 22, local: false });

describe('RoutingTransport.connectAhead', () => {
  it('splits the hosts between the local and the remote transport, keeping their order', () => {
    const loc = new FakeTransport();
    const rem = new FakeTransport();
    const routing = new RoutingTransport(loc, () => rem);
    routing.connectAhead([remote('b'), local('local:x'), remote('a')], new AbortController().signal);
    expect(rem.connectedAhead.map((p) => p.hosts)).toEqual([['b', 'a']]);
    expect(loc.connectedAhead.map((p) => p.hosts)).toEqual([['local:x']]);
  });

  it('does not create the remote transport for a stage of local hosts only', () => {
    let created = 0;
    const routing = new RoutingTransport(new FakeTransport(), () => {
      created += 1;
      return new FakeTransport();
    });
    routing.connectAhead([local('local:a'), local('local:b')], new AbortController().signal);
    expect(created).toBe(0);
  });
});
