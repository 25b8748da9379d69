/** A release version: exactly MAJOR.MINOR.PATCH, no leading zeros, no pre-release or build part. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
}

const VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

/** The version in `text`, or undefined when it is not exactly X.Y.Z. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The tags a release of `v` makes: the exact one, then the moving ones it points them to. */
export function releaseTags(v: Version): { exact: string; moving: string[] } {
  return { exact: `v${formatVersion(v)}`, moving: [`v${v.major}`, `v${v.major}.${v.minor}`] };
}
