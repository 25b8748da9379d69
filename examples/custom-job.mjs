// @ts-check
/**
 * A release config written in JavaScript, with a custom job class — the way boerewors users wrote
 * `NewJob`. It runs anywhere, with no server and no network: three embedded `local:` hosts, an
 * artifact built on this machine, and a "download" from a file:// mirror.
 *
 *   ./bin/boerewors.js run -c examples/custom-job.mjs
 *   ./bin/boerewors.js run -c examples/custom-job.mjs --var FLAKY_HOST=none   # no simulated hiccup
 *
 * The default export is a function of the library API. That is the portable form: a config run by
 * the bundled GitHub Action cannot `import 'boerewors-action'` (there is no node_modules to find it
 * in), so the action hands the API in. Outside this repository, write the types as
 * `import('boerewors-action')`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** @typedef {typeof import('../src/index.js')} Api */
/** @typedef {import('../src/index.js').Host} Host */
/** @typedef {import('../src/index.js').JobContext} JobContext */
/** @typedef {import('../src/index.js').JobBody} JobBody */
/** @typedef {import('../src/index.js').ExecResult} ExecResult */

/** Everything lands under here (override with --var WORK=DIR): build/, mirror/, hosts/<host>/. */
const WORK = join(tmpdir(), 'boerewors-custom-job');

/** @param {Api} api */
export default function config(api) {
  /**
   * Download → extract → verify one artifact into `releases/<release id>` of a host. A failing
   * download or extract throws into the generator and fails the attempt; the stage's `retries`
   * then runs the whole job again from the start. Verification is checked here, so the job can
   * say *why* it failed.
   */
  class FetchArtifact extends api.Job {
    /** @param {Host} host */
    constructor(host) {
      super(host, 'fetch-artifact');
    }

    /**
     * @param {JobContext} ctx
     * @returns {JobBody}
     */
    async *run(ctx) {
      // Values reach scripts as environment variables, never as text pasted into them.
      const work = ctx.env.WORK ?? WORK;
      const env = {
        DEST: join(work, 'hosts', ctx.host.name.replace(/^local:/, ''), 'releases', ctx.release),
        ARTIFACT_URL: pathToFileURL(join(work, 'mirror', 'site.tgz')).href,
      };

      yield api.remote(
        `mkdir -p "$DEST"
        if [ "$BW_HOST" = "$FLAKY_HOST" ] && [ "$BW_ATTEMPT" = 1 ]; then
          echo "mirror hiccup on $BW_HOST (simulated); the stage retries the job" >&2
          exit 75
        fi
        if command -v curl >/dev/null 2>&1; then
          curl -fsS "$ARTIFACT_URL" -o "$DEST/site.tgz"
        else
          cp "$WORK/mirror/site.tgz" "$DEST/site.tgz"
        fi`,
        { env, label: 'download' },
      );

      yield api.remote('tar -xzf "$DEST/site.tgz" -C "$DEST"', { env, label: 'extract' });

      const verify = /** @type {ExecResult} */ (
        yield api.remote(
          `[ "$(cksum < "$DEST/site.tgz")" = "$(cat "$WORK/mirror/site.tgz.cksum")" ] &&
          [ "$(cat "$DEST/site/VERSION")" = "$BW_RELEASE" ]`,
          { env, label: 'verify', allowFailure: true },
        )
      );
      if (verify.exitCode !== 0) return api.Err(`checksum or version mismatch in ${env.DEST}`);
      return api.Ok();
    }
  }

  return {
    version: 1,
    hosts: { demo: ['local:a', 'local:b', 'local:c'] },
    vars: {
      APP: 'custom-job-demo',
      WORK,
      // The first download on this host fails once, to show a retry; --var FLAKY_HOST=none to skip.
      FLAKY_HOST: 'local:b',
    },
    runners: {
      deliver: {
        description: 'Build a site tarball, fetch it to every host with a custom job, switch current',
        stages: [
          {
            name: 'Build ${APP}',
            // No hosts: one job on this machine.
            steps: [
              {
                name: 'build the artifact',
                run: `rm -rf "\${WORK:?}/build" "$WORK/mirror" && mkdir -p "$WORK/build/site" "$WORK/mirror"
                  printf '<h1>%s %s</h1>\\n' "$APP" "$BW_RELEASE" > "$WORK/build/site/index.html"
                  printf '%s\\n' "$BW_RELEASE" > "$WORK/build/site/VERSION"
                  tar -czf "$WORK/mirror/site.tgz" -C "$WORK/build" site
                  cksum < "$WORK/mirror/site.tgz" > "$WORK/mirror/site.tgz.cksum"`,
              },
            ],
          },
          {
            name: 'Fetch artifact',
            hosts: ['demo'],
            retries: 2,
            'retry-delay': '200ms',
            timeout: '1m',
            job: (/** @type {Host} */ host) => new FetchArtifact(host),
          },
          {
            name: 'Switch current',
            hosts: ['demo'],
            parallel: false,
            steps: [
              {
                name: 'switch ${BW_HOST}',
                run: `cd "$WORK/hosts/\${BW_HOST#local:}"
                  ln -sfn "releases/$BW_RELEASE" current
                  cat current/site/index.html`,
              },
            ],
          },
        ],
      },
    },
  };
}
