import * as core from '@actions/core';
import { UsageError } from '../contract/errors.js';
import type { ReleaseSettings } from '../settings.js';
import { parseVarsInput } from './vars-input.js';

/** Every input of `action.yml`, in one place. */
export const Inputs = {
  Config: 'config',
  Runner: 'runner',
  Limit: 'limit',
  Hosts: 'hosts',
  Vars: 'vars',
  SecretVars: 'secret-vars',
  SshPrivateKey: 'ssh-private-key',
  SshKeyPassphrase: 'ssh-key-passphrase',
  SshKnownHosts: 'ssh-known-hosts',
  DryRun: 'dry-run',
} as const;

/** What the action needs besides the release settings. */
export interface ActionInputs {
  /** The release, as the CLI would describe it; `reportPath` is filled in by `main`. */
  settings: ReleaseSettings;
  /**
   * Every value that must never be shown: the private key, its passphrase and each `secret-vars` value. `main`
   * masks them (and each of their lines) before anything is logged.
   */
  secrets: string[];
}

/** Reads one input, trimmed; '' when not set. Defaults come from `action.yml` on the runner. */
export type InputReader = (name: string) => string;

const readInput: InputReader = (name) => core.getInput(name);

/**
 * The only reader of the action's inputs. Throws a UsageError naming the input on bad input;
 * messages never quote a secret input's value.
 */
export function readInputs(read: InputReader = readInput): ActionInputs {
  const config = read(Inputs.Config);
  const runner = read(Inputs.Runner);
  const limit = read(Inputs.Limit);
  const hosts = read(Inputs.Hosts);
  const vars = parseVarsInput(read(Inputs.Vars), Inputs.Vars);
  const secretVars = parseVarsInput(read(Inputs.SecretVars), Inputs.SecretVars, true);
  const privateKey = parsePrivateKey(read(Inputs.SshPrivateKey));
  // Not trimmed beyond what the runner does: a passphrase is whatever the key was encrypted with.
  const passphrase = read(Inputs.SshKeyPassphrase);
  if (passphrase && !privateKey) {
    throw new UsageError(
      `Input "${Inputs.SshKeyPassphrase}" is set but "${Inputs.SshPrivateKey}" is not: the passphrase is for that key`,
    );
  }
  const knownHosts = normalizeNewlines(read(Inputs.SshKnownHosts));
  const settings: ReleaseSettings = {
    vars,
    secretVars,
    dryRun: parseBoolean(read(Inputs.DryRun), Inputs.DryRun),
    ...(config ? { configPath: config } : {}),
    ...(runner ? { runner } : {}),
    ...(limit ? { limit: parsePositiveInteger(limit, Inputs.Limit) } : {}),
    ...(hosts ? { hosts: parseList(hosts, Inputs.Hosts) } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(passphrase ? { passphrase } : {}),
    ...(knownHosts ? { knownHosts } : {}),
  };
  return {
    settings,
    secrets: [
      ...(privateKey ? [privateKey] : []),
      ...(passphrase ? [passphrase] : []),
      ...Object.values(secretVars),
    ],
  };
}

/** YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts them; empty is false. */
export function parseBoolean(text: string, input: string): boolean {
  if (text === '') return false;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw new UsageError(`Input "${input}": expected true or false, got "${text}"`);
}

export function parsePositiveInteger(text: string, input: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`Input "${input}": expected a positive integer, got "${text}"`);
  }
  return n;
}

/** Host or group names separated by commas, spaces or newlines. */
export function parseList(text: string, input: string): string[] {
  const items = text.split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) throw new UsageError(`Input "${input}": expected names separated by commas`);
  return items;
}

/**
 * The key text as a secret holds it: CRLF from a paste on Windows is normalized and a final
 * newline added (OpenSSH rejects a key without one). A path or a key with escaped `\n` is a common
 * mistake, caught here with a message that does not echo the value.
 */
export function parsePrivateKey(text: string): string | undefined {
  if (text === '') return undefined;
  const key = `${normalizeNewlines(text)}\n`;
  if (key.indexOf('\n') === key.length - 1 && key.includes('\\n')) {
    throw new UsageError(
      `Input "${Inputs.SshPrivateKey}": the key is on one line with escaped "\\n"; store it with its real newlines`,
    );
  }
  if (!/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----$/m.test(key)) {
    throw new UsageError(
      `Input "${Inputs.SshPrivateKey}": expected the private key itself (a "-----BEGIN … PRIVATE KEY-----" block), ` +
        'not a path; pass it from a secret: ssh-private-key: ${{ secrets.DEPLOY_KEY }}',
    );
  }
  return key;
}

function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}
