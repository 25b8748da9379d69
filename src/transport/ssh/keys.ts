/**
 * How we authenticate: a private key (text or file; OpenSSH or PEM; ed25519, ecdsa, rsa with
 * rsa-sha2 signatures; optional passphrase), else the ssh-agent. The key is parsed once, up front,
 * so a bad key fails the run at once with an AuthError that names where the key came from and
 * what is wrong with it — never a byte of the key itself.
 */
import { readFileSync } from 'node:fs';
import ssh2, { type ParsedKey } from 'ssh2';
import { AuthError } from '../../contract/errors.js';
import type { SshOptions } from '../../contract/ssh-options.js';
import { expandHome } from '../remote/paths.js';

export type ClientAuth =
  | {
      readonly kind: 'key';
      /**
       * The parsed (decrypted) key, handed to every connection as is: decrypting an OpenSSH key
       * costs a bcrypt KDF (about a second in JS), which must not be paid per host. Memory only.
       */
      readonly privateKey: ParsedKey;
      /** `private key file ~/.ssh/id_ed25519` or `private key given inline`: for messages. */
      readonly source: string;
      /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
      readonly keyType: string;
    }
  | { readonly kind: 'agent'; readonly socket: string; readonly source: string };

/**
 * Keys pasted into CI secrets arrive with CRLF line ends, without a final newline, with trailing
 * blanks, or with literal `\n` when squeezed onto one line; all of that is layout, not key data.
 */
export function normalizeKeyText(text: string): string {
  let t = text;
  if (!t.includes('\n') && t.includes('\\n')) t = t.replaceAll('\\n', '\n');
  const lines = t.split(/\r?\n|\r/).map((l) => l.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return `${lines.map((l) => l.trimStart()).join('\n')}\n`;
}

/** Neither a key nor an agent: nothing to log in with. */
export const NO_KEY_NO_AGENT = 'no SSH private key given and no ssh-agent (SSH_AUTH_SOCK)';

export async function loadClientAuth(
  options: SshOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ClientAuth> {
  let text: string;
  let source: string;
  if (options.privateKey !== undefined && options.privateKey.trim() !== '') {
    text = options.privateKey;
    source = 'private key given inline';
  } else if (options.privateKeyPath) {
    source = `private key file ${options.privateKeyPath}`;
    try {
      // Read at once, not on the thread pool: it sits before every handshake, and an upload reading
      // and sampling its source at the same moment kept an asynchronous read waiting ~50 ms.
      text = readFileSync(expandHome(options.privateKeyPath), 'utf8');
    } catch (err) {
      throw new AuthError(`${source}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (env.SSH_AUTH_SOCK) {
    return { kind: 'agent', socket: env.SSH_AUTH_SOCK, source: `ssh-agent at ${env.SSH_AUTH_SOCK}` };
  } else {
    throw new AuthError(NO_KEY_NO_AGENT);
  }
  const privateKey = parsePrivateKey(normalizeKeyText(text), options.passphrase, source);
  return { kind: 'key', privateKey, source, keyType: privateKey.type };
}

/** The parsed key, or an AuthError that says what is wrong in our own words (ssh2's may quote input). */
function parsePrivateKey(text: string, passphrase: string | undefined, source: string): ParsedKey {
  const parsed = decrypted(text, passphrase);
  const problem = keyProblem(parsed);
  if (problem) throw new AuthError(`${source}: ${problem}`);
  return (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey;
}

/**
 * What is wrong with key text, or null: for checks before anything runs. An encrypted key given
 * with a passphrase is decrypted here, so a wrong passphrase is caught before anything runs; the
 * result is kept for the transport, which would otherwise pay the bcrypt KDF (about a second) again.
 */
export function privateKeyProblem(text: string, passphrase: string | undefined): string | null {
  const normalized = normalizeKeyText(text);
  const parsed = ssh2.utils.parseKey(normalized);
  if (parsed instanceof Error && NO_PASSPHRASE.test(parsed.message) && passphrase)
    return keyProblem(decrypted(normalized, passphrase));
  return keyProblem(parsed);
}

/** The last key decrypted with a passphrase: one key a run, decrypted once. */
let lastDecrypted:
  { text: string; passphrase: string; parsed: ReturnType<typeof ssh2.utils.parseKey> } | undefined;

function decrypted(text: string, passphrase: string | undefined): ReturnType<typeof ssh2.utils.parseKey> {
  if (!passphrase) return ssh2.utils.parseKey(text);
  if (lastDecrypted?.text === text && lastDecrypted.passphrase === passphrase) return lastDecrypted.parsed;
  const parsed = ssh2.utils.parseKey(text, passphrase);
  lastDecrypted = { text, passphrase, parsed };
  return parsed;
}

const NO_PASSPHRASE = /no passphrase given/i;

function keyProblem(parsed: ParsedKey | ParsedKey[] | Error): string | null {
  if (parsed instanceof Error) {
    const msg = parsed.message;
    if (NO_PASSPHRASE.test(msg)) return 'the key is encrypted, but no passphrase was given';
    if (/passphrase/i.test(msg) || /integrity check/i.test(msg))
      return 'cannot decrypt the key: wrong passphrase';
    return 'not a private key in a supported format (OpenSSH or PEM; ed25519, ecdsa or rsa)';
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.getPrivatePEM() === null) return 'this is a public key; the private key is needed';
  return null;
}
