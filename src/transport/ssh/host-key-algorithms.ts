/**
 * Which host-key algorithms we offer in the key exchange, in which order. The client's order
 * decides which of its keys the server presents, and so which known_hosts line is checked: a host
 * with an ed25519 and an RSA key presents ed25519 if we ask for it first. We order them as
 * OpenSSH's ssh does (sshconnect2.c, order_hostkeyalgs), so a host gets the same verdict from us
 * as from `ssh` with the same known_hosts, whatever the order of its lines.
 */

/**
 * OpenSSH's default HostKeyAlgorithms (9.x), without the certificate and security-key types that
 * ssh2 cannot verify. `ssh-rsa` (SHA-1 signatures) is absent as in OpenSSH since 8.8; an RSA host
 * key is still used, signed with SHA-2.
 */
export const HOST_KEY_ALGORITHMS: readonly string[] = Object.freeze([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
]);

/** The known_hosts key type whose keys an algorithm produces (`rsa-sha2-512` → `ssh-rsa`). */
export function keyTypeOfAlgorithm(algorithm: string): string {
  return algorithm.startsWith('rsa-sha2-') ? 'ssh-rsa' : algorithm;
}

/**
 * The algorithms to offer to a host for which known_hosts lists keys of `knownTypes`. As OpenSSH:
 * when the most preferred type is known, the default order as is; otherwise the algorithms of
 * known types first, each group in default order. Never file order: a stale RSA line written
 * before a good ed25519 line (ssh-keyscan writes RSA first) must not make the server present RSA.
 */
export function orderHostKeyAlgorithms(knownTypes: ReadonlySet<string>): string[] {
  const known = (a: string): boolean => knownTypes.has(keyTypeOfAlgorithm(a));
  if (known(HOST_KEY_ALGORITHMS[0]!)) return [...HOST_KEY_ALGORITHMS];
  return [...HOST_KEY_ALGORITHMS.filter(known), ...HOST_KEY_ALGORITHMS.filter((a) => !known(a))];
}
