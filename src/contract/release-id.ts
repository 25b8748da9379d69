/**
 * The rule for release ids, shared by the engine (which refuses a bad BW_RELEASE) and everything
 * that reads a release id back from a host: a host's answer is checked against the same rule.
 */

/** What a release id may look like: it names a directory on every host (`releases/ID`). */
export const RELEASE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `id` cannot be a release id, or undefined when it can. */
export function releaseIdProblem(id: string): string | undefined {
  if (RELEASE_ID_PATTERN.test(id) && !id.includes('..')) return undefined;
  return (
    'expected a release id: letters, digits, ".", "-" and "_", starting with a letter or digit, ' +
    `at most 128 characters, no ".." (it names a directory), got ${JSON.stringify(id)}`
  );
}

/**
 * Why `name`, as a host reported it (the directory `current` points at), cannot name a release
 * directory; undefined when it can. Looser than `releaseIdProblem`: a release made by hand
 * (`releases/_old`) is still a directory a host may honestly report. Never `.` or `..`, no `/`, no
 * white space or control characters: what the release scripts' `current_id` prints.
 */
export function releaseNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9._-]{1,255}$/.test(name) && name !== '.' && name !== '..') return undefined;
  const shown = name.length > 80 ? `${name.slice(0, 79)}…` : name;
  return `not the name of a directory in releases/ (letters, digits, ".", "-" and "_", not "." or ".."): ${JSON.stringify(shown)}`;
}
