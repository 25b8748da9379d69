/**
 * Tests that need something this machine may lack are skipped where everyone can see it (a
 * skipped test with the reason in its title), never passed by returning early. With
 * BW_REQUIRE_SSHD=1 (CI), a test skipped for want of OpenSSH - none installed, or one too old for
 * the feature under test - fails instead: there, a missing sshd is a broken setup, not a reason.
 *
 *   itNeedingSshd(await sshdSupports('UnusedConnectionTimeout', '1'), 'this sshd is older than 9.2')(
 *     'the next step reconnects', async () => { … });
 */
import { findSshd } from './sshd.js';

type Body = (...args: never[]) => unknown;
type Define = (name: string, fn: Body, timeout?: number) => void;

/** `it`-like: called directly, or through `.each(table)` as `it.each` is. */
export interface ConditionalIt {
  (name: string, fn: Body, timeout?: number): void;
  each(table: readonly unknown[]): Define;
}

/** Whether the tests talk to real OpenSSH (otherwise the harness's in-process ssh2 servers). */
export const OPENSSH = findSshd() !== undefined;

export const requireSshd = (): boolean => process.env.BW_REQUIRE_SSHD === '1';

function conditional(run: boolean, skipReason: string, failReason?: string): ConditionalIt {
  if (run) {
    const direct: ConditionalIt = (name, fn, timeout) => it(name, fn as jest.ProvidesCallback, timeout);
    direct.each = (table) => (name, fn, timeout) =>
      it.each(table as unknown[])(name, fn as (...args: unknown[]) => unknown, timeout);
    return direct;
  }
  if (failReason) {
    const fail = (): never => {
      throw new Error(failReason);
    };
    const failing: ConditionalIt = (name, _fn, timeout) => it(name, fail, timeout);
    failing.each = (table) => (name, _fn, timeout) => it.each(table as unknown[])(name, fail, timeout);
    return failing;
  }
  const title = (name: string): string => `${name} [skipped: ${skipReason}]`;
  const skipped: ConditionalIt = (name, fn, timeout) =>
    it.skip(title(name), fn as jest.ProvidesCallback, timeout);
  skipped.each = (table) => (name, fn, timeout) =>
    it.skip.each(table as unknown[])(title(name), fn as (...args: unknown[]) => unknown, timeout);
  return skipped;
}

/**
 * `it` when `available`; otherwise a visibly skipped test saying `why`, or with BW_REQUIRE_SSHD=1
 * a failing one.
 */
export function itNeedingSshd(available: boolean, why: string): ConditionalIt {
  return conditional(available, why, requireSshd() ? `BW_REQUIRE_SSHD=1, but ${why}` : undefined);
}

/** `it` when OpenSSH's sshd is installed (not the in-process fallback), else as itNeedingSshd. */
export function itWithOpenSsh(why: string): ConditionalIt {
  return itNeedingSshd(OPENSSH, `no OpenSSH sshd here: ${why}`);
}

/**
 * `it` when the tests run as root; otherwise a visibly skipped test saying `why`. Never a failure:
 * CI runners (GitHub's included) are not root.
 */
export function itAsRoot(why: string): ConditionalIt {
  return conditional(process.getuid?.() === 0, `not root: ${why}`);
}
